"""Voilà as the advisor apps need it: kernels kept to their owners, light pages, cached assets."""

from __future__ import annotations

import functools
from typing import Any

from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.utils import url_path_join
from traitlets import Bool
from voila.app import Voila

from bwcases.core.paths import TEMPLATES
from bwcases.web import evidence
from bwcases.web.kernel_owners import HANDLERS
from bwcases.web.signin import PasswordHandler

PAGE_TEMPLATE = TEMPLATES / "apps"  # the apps' page: Voilà's rendering, a lighter page script
PAGE_ASSETS = PAGE_TEMPLATE / "static"  # served at voila/bwcases/


class AppsVoila(Voila):  # type: ignore[misc]
    """Voilà with the apps' page template, owner-checking kernel handlers, bounded kernels, a
    page to change one's password and the evidence files' downloads."""

    trusted_proxy = Bool(
        False,
        config=True,
        help="Trust X-Forwarded-For and X-Forwarded-Proto: the server is behind a TLS proxy.",
    )

    def setup_template_dirs(self) -> None:
        """Voilà's template folders, the apps' page first."""
        super().setup_template_dirs()
        self.template_paths.insert(0, str(PAGE_TEMPLATE))

    def init_settings(self) -> dict[str, Any]:
        """Voilà's settings; responses compressed (slow connections: the page script is 0.95 MB
        as it is, 0.29 MB compressed). Voilà applies `tornado_settings` only once its web
        application is made, too late for this one."""
        return {**super().init_settings(), "compress_response": True}

    def init_handlers(self) -> list[Any]:
        """Voilà's handlers, with kernels kept to their owners and versioned assets cached."""
        handlers = []
        for route in super().init_handlers():
            pattern, handler, *rest = route
            handlers.append((pattern, HANDLERS.get(handler, handler), *rest))
        assets = url_path_join(self.server_url, r"/voila/bwcases/(.*)")
        handlers.append((assets, FileFindHandler, {"path": [str(PAGE_ASSETS)]}))
        handlers.append((url_path_join(self.server_url, "/password"), PasswordHandler))
        handlers += evidence.handlers(self.server_url)  # evidence files, by HTTP not websocket
        return handlers

    def listen(self) -> None:
        """Listen; behind a trusted proxy, the client's address and https come from its
        headers (sign-in throttling by address, the session cookie marked Secure)."""
        if self.trusted_proxy:
            self.app.listen = functools.partial(self.app.listen, xheaders=True)
        super().listen()
