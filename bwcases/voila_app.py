"""Voilà as the advisor apps need it: kernels kept to their owners, light pages, cached assets."""

from __future__ import annotations

from typing import Any

from jupyter_server.base.handlers import FileFindHandler
from jupyter_server.utils import url_path_join
from voila.app import Voila

from bwcases.kernel_owners import HANDLERS
from bwcases.paths import TEMPLATES

PAGE_TEMPLATE = TEMPLATES / "apps"  # the apps' page: Voilà's rendering, a lighter page script
PAGE_ASSETS = PAGE_TEMPLATE / "static"  # served at voila/bwcases/


class AppsVoila(Voila):  # type: ignore[misc]
    """Voilà with the apps' page template and owner-checking kernel handlers."""

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
        return handlers
