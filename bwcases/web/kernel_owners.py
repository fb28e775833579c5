"""Each app page's kernel belongs to the person who opened it: nobody else may use or stop it."""

# A page's kernel holds that person's factories and acts as her (its store writes carry her
# name). Voilà lets any signed-in person reach any kernel whose id she knows; here Jupyter
# Server's own Authorizer refuses every kernel request but its owner's, the page handler
# records the owner as it starts or hands over a kernel, and the address through which a
# preheated kernel receives its page's request (cookie included) answers that kernel only.
#
# Kernels are bounded too (each holds ~130 MB): a person keeps at most `pages_per_person`
# pages' kernels (opening one more stops her oldest, whose page then says it can no longer
# save), the server at most `max_pages` (then a page says the server is busy), and kernels
# whose page is gone are culled (serve.voila_config).

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import User
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from bwcases.core.i18n import N_, translator
from bwcases.web.limits import MAX_PAGES, PAGES_PER_PERSON
from bwcases.web.pages import page_language, write_page

KERNELS = "kernels"  # Jupyter Server's name for the resource


class KernelOwnerAuthorizer(Authorizer):
    """Signed-in people may do everything the server offers, but a kernel only its owner."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owners: dict[str, str] = {}  # kernel id -> username

    def is_authorized(
        self, handler: JupyterHandler, user: User, action: str, resource: str
    ) -> bool:
        """A kernel request is its owner's; any other request of a signed-in person is allowed."""
        if resource != KERNELS:
            return True
        return self.owns(user, kernel_id_of(handler))

    def owns(self, user: User | None, kernel_id: str | None) -> bool:
        """Whether the kernel was started or handed over for this user's page."""
        if user is None or not kernel_id:
            return False
        return self.owners.get(kernel_id) == user.username

    def record(self, kernel_id: str, user: User, live: list[str]) -> None:
        """The kernel now serves this user's page; forget owners of kernels no longer running."""
        self.prune(live)
        self.owners[kernel_id] = user.username

    def prune(self, live: list[str]) -> int:
        """Forget the kernels no longer running; how many pages' kernels are left."""
        for gone in set(self.owners) - set(live):
            del self.owners[gone]
        return len(self.owners)

    def kernels_of(self, username: str) -> list[str]:
        """The kernels of a person's pages, oldest first."""
        return [k for k, owner in self.owners.items() if owner == username]


BUSY_TITLE = N_("The server is busy")
BUSY = N_("The server is busy: too many pages are open. Try again in a few minutes.")


def _setting(handler: web.RequestHandler, name: str, default: int) -> int:
    return int(handler.settings.get(f"bwcases_{name}", default))


async def stop_kernels(handler: JupyterHandler, kernel_ids: list[str], why: str) -> int:
    """Stop these kernels (their pages say they can no longer save); how many were running."""
    manager = handler.settings["kernel_manager"]
    stopped = 0
    for kernel_id in kernel_ids:
        if kernel_id in manager:
            await ensure_async(manager.shutdown_kernel(kernel_id))
            handler.log.info("kernel %s stopped: %s", kernel_id, why)
            stopped += 1
    return stopped


async def close_pages(handler: JupyterHandler, username: str) -> int:
    """Stop the kernels of every page a person has open (she signed out)."""
    owners = _owners(handler)
    owners.prune(handler.settings["kernel_manager"].list_kernel_ids())
    return await stop_kernels(handler, owners.kernels_of(username), f"{username} signed out")


def kernel_id_of(handler: web.RequestHandler) -> str | None:
    """The kernel a request is about (the websocket handler keeps it, the others in the path)."""
    found = getattr(handler, "kernel_id", None) or handler.path_kwargs.get("kernel_id")
    return str(found) if found else None


def _owners(handler: JupyterHandler) -> KernelOwnerAuthorizer:
    authorizer = handler.authorizer
    if not isinstance(authorizer, KernelOwnerAuthorizer):
        raise RuntimeError("serve the apps with KernelOwnerAuthorizer as the authorizer")
    return authorizer


class _RecordingKernels:
    """The kernel manager as a page handler sees it: kernels it starts or takes are the user's."""

    def __init__(self, handler: JupyterHandler, manager: Any) -> None:
        self._handler = handler
        self._manager = manager

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    async def _record(self, kernel_id: str) -> None:
        handler, user = self._handler, self._handler.current_user
        owners = _owners(handler)
        owners.record(kernel_id, user, self._manager.list_kernel_ids())
        cap = _setting(handler, "pages_per_person", PAGES_PER_PERSON)
        oldest = owners.kernels_of(user.username)[:-cap]
        await stop_kernels(handler, oldest, f"{user.username} opened more than {cap} pages")

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        """A fresh kernel for the page (no preheated one ready)."""
        kernel_id = str(await ensure_async(self._manager.start_kernel(*args, **kwargs)))
        await self._record(kernel_id)
        return kernel_id

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        """A preheated kernel for the page, recorded before its id is written to the page."""
        render_task, rendered, kernel_id = await self._manager.get_rendered_notebook(
            *args, **kwargs
        )
        await self._record(kernel_id)
        return render_task, rendered, kernel_id


class PageHandler(TornadoVoilaHandler):
    """Voilà's page handler, recording whose page each kernel serves; a busy page when the
    server holds as many pages' kernels as it may."""

    @property
    def kernel_manager(self) -> Any:
        """Voilà's kernel manager, recording the owner of kernels started or handed over."""
        return _RecordingKernels(self, self.settings["kernel_manager"])

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        """The page, unless the server is full (the person's own oldest page does not count:
        opening one more stops it)."""
        owners = _owners(self)
        held = owners.prune(self.settings["kernel_manager"].list_kernel_ids())
        mine = len(owners.kernels_of(self.current_user.username))
        replaces = mine >= _setting(self, "pages_per_person", PAGES_PER_PERSON)
        if held >= _setting(self, "max_pages", MAX_PAGES) and not replaces:
            self.log.warning("busy: %d pages' kernels; %s waits", held, self.current_user.username)
            return self._busy()
        await super().get(path)

    def _busy(self) -> None:
        lang = page_language(self)
        _ = translator(lang)
        self.set_status(503)
        self.set_header("Retry-After", "120")
        write_page(self, "busy", lang, _(BUSY_TITLE), message=_(BUSY))


class ShutdownHandler(VoilaShutdownKernelHandler):
    """Closing a page stops its kernel; nobody else's."""

    @web.authenticated
    async def post(self, kernel_id: str) -> None:
        """Stop the kernel if it is the signed-in person's."""
        if not _owners(self).owns(self.current_user, kernel_id):
            raise web.HTTPError(403)
        await super().post(kernel_id)


class KernelRequestHandler(RequestInfoSocketHandler):
    """Where a preheated kernel receives its page's request: that kernel, once, and no browser."""

    _answered: set[str] = set()

    def check_origin(self, origin: str) -> bool:
        """Browsers always send an Origin; the kernel does not. Refuse every browser."""
        return False

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Accept a running kernel's one connection; refuse every other."""
        kernel_id = str(kwargs.get("kernel_id") or (args[0] if args else ""))
        manager = self.settings["kernel_manager"]
        self._answered.intersection_update(manager.list_kernel_ids())
        if kernel_id not in manager or kernel_id in self._answered:
            raise web.HTTPError(403)
        self._answered.add(kernel_id)
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Deliver the request if it came first, and keep no copy of it (it holds a cookie)."""
        kernel_id = str(kwargs.get("kernel_id") or (args[0] if args else ""))
        super().open(kernel_id)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)


class ChannelsHandler(VoilaKernelWebsocketHandler):  # type: ignore[misc]
    """A page's connection to its kernel, which carries her clicks and typing as long as the
    session it was opened in lasts: a message after that session ended (she was deactivated,
    it expired, her password was changed on another device) stops this page instead of
    reaching the kernel. Her pages of other, live sessions go on; each page of an ended session
    stops at its own next message."""

    # Jupyter Server checks the sign-in once, when the websocket opens; a page stays open for
    # hours, so each message from it is checked again (one indexed query, off the event loop).

    async def on_message(self, ws_message: str | bytes) -> None:  # type: ignore[override]
        """Pass the message on while its session lasts; else stop this page."""
        owner = self.current_user.username
        loop = asyncio.get_running_loop()
        try:
            now = await loop.run_in_executor(None, self.identity_provider.get_user_cookie, self)
        except Exception:  # the store unreachable for a moment: the socket was signed in
            self.log.exception(
                "kernel %s: %s's session could not be checked", self.kernel_id, owner
            )
            super().on_message(ws_message)
            return
        if now is not None and now.username == owner:
            super().on_message(ws_message)
            return
        self.log.warning("kernel %s: %s is no longer signed in", self.kernel_id, owner)
        self.close(SIGNED_OUT, "signed out")
        await stop_kernels(self, [self.kernel_id], f"{owner}'s session ended")


SIGNED_OUT = 4401  # the websocket's close code when its person's session ended (an app's code)

HANDLERS = {  # Voilà's handler -> the one that keeps kernels to their owners
    TornadoVoilaHandler: PageHandler,
    VoilaShutdownKernelHandler: ShutdownHandler,
    RequestInfoSocketHandler: KernelRequestHandler,
    VoilaKernelWebsocketHandler: ChannelsHandler,
}
