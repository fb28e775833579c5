"""Evidence files over HTTP: a download or a preview, for people whose portfolio holds the item."""

# The apps link each file of a progress update to {base}evidence/UPDATE/SHA256 (and its preview
# to .../preview): the bytes come over a plain authenticated request, never through a page's
# kernel and websocket. Who may see a file is what the apps show: the signed-in person's
# portfolio (auth.people.Person.covers) holds the factory of the file's item.

from __future__ import annotations

import asyncio
import unicodedata
from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from bwcases.auth.people import person
from bwcases.core.errors import NotFoundError
from bwcases.render.previews import preview

if TYPE_CHECKING:
    from bwcases.store import Store

# the address the apps give (bwcases.apps.evidence.evidence_url): an update's id, a SHA-256
ROUTE = r"/evidence/([0-9]{1,18})/([0-9a-f]{64})(/preview)?"
# a PICC meeting's minutes (bwcases.apps.timeline.minutes_url): the visit's id
MINUTES_ROUTE = r"/minutes/([0-9]{1,18})"
# a file sent with a factory person's proposal (bwcases.apps.proposals): the proposal, a SHA-256
PROPOSAL_ROUTE = r"/proposal-evidence/([0-9]{1,18})/([0-9a-f]{64})"
PREVIEWS_KEPT = 256  # previews kept in memory (a few kB each): a page redrawn asks again
ENDINGS = {  # a tile's label for a file without a picture, by media type
    "application/pdf": "PDF",
    "image/heic": "HEIC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}
# A file is the programme's evidence (payslips, IDs on a photo): no cache keeps it, no browser
# reads it as anything but what it is, and nothing in it runs if opened at this address.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def content_disposition(filename: str) -> str:
    """`attachment` with the file's name (RFC 6266): a plain ASCII name for old browsers, and
    the exact name UTF-8 encoded (RFC 8187) for the others."""
    plain = unicodedata.normalize("NFKD", filename)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in plain)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def handlers(server_url: str) -> list[tuple[str, type[web.RequestHandler]]]:
    """The routes to add to the server's."""
    return [
        (url_path_join(server_url, ROUTE), EvidenceHandler),
        (url_path_join(server_url, MINUTES_ROUTE), MinutesHandler),
        (url_path_join(server_url, PROPOSAL_ROUTE), ProposalEvidenceHandler),
    ]


def covered(store: Store, name: str, factory_id: str) -> bool:
    """Whether the active person `name` has the factory in her portfolio."""
    record = store.user(name)
    reader = person(record) if record and record.get("active") else None
    factories = store.factories_frame(factory_ids=[factory_id])
    if reader is None or factories.empty:
        return False
    return reader.covers(factories.iloc[0].to_dict())


class _Previews:
    """The last previews drawn, by the file's SHA-256 (a file's content never changes)."""

    def __init__(self, size: int = PREVIEWS_KEPT) -> None:
        self.size = size
        self.kept: OrderedDict[str, bytes] = OrderedDict()
        self.lock = Lock()

    def get(self, sha256: str) -> bytes | None:
        with self.lock:
            found = self.kept.get(sha256)
            if found is not None:
                self.kept.move_to_end(sha256)
            return found

    def put(self, sha256: str, jpeg: bytes) -> None:
        with self.lock:
            self.kept[sha256] = jpeg
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)


PREVIEWS = _Previews()


class _FileHandler(JupyterHandler):
    """A handler that sends one of the programme's files to whom may read it."""

    # A file outside her portfolio is answered as one that does not exist (404, the same
    # page): a 403 would tell whoever tries IDs in the address which ones are meetings,
    # updates or proposals, of factories that are not hers. The log tells the two apart.

    @property
    def store(self) -> Store:
        """The store the sign-in reads (serve's identity provider)."""
        return cast(Any, self.identity_provider).store

    async def send_file(self, sha256: str, filename: str) -> None:
        """Send a stored file as an attachment named `filename`, kept out of every cache."""
        loop = asyncio.get_running_loop()
        content, media_type = await loop.run_in_executor(None, self.store.evidence_file, sha256)
        for header, value in PRIVATE_HEADERS.items():
            self.set_header(header, value)
        self.set_header("Content-Type", media_type)
        self.set_header("Content-Disposition", content_disposition(filename))
        self.finish(content)


class EvidenceHandler(_FileHandler):
    """One evidence file of a progress update (as an attachment), or its preview (a JPEG)."""

    @web.authenticated
    async def get(self, update_id: str, sha256: str, preview_part: str | None = None) -> None:
        """Send the file or its preview when the signed-in person's portfolio holds its item."""
        loop = asyncio.get_running_loop()
        name = self.current_user.username
        try:
            found = await loop.run_in_executor(None, self._allowed, name, int(update_id), sha256)
        except NotFoundError:
            raise web.HTTPError(404) from None
        if found is None:
            self.log.warning("evidence %s/%s refused to %s", update_id, sha256[:12], name)
            raise web.HTTPError(404)  # as for an unknown file: see _FileHandler
        if preview_part:
            jpeg = await loop.run_in_executor(None, self._preview, sha256, found["media_type"])
            for header, value in PRIVATE_HEADERS.items():
                self.set_header(header, value)
            self.set_header("Content-Type", "image/jpeg")
            self.finish(jpeg)
            return
        self.log.info("evidence %s/%s sent to %s", update_id, sha256[:12], name)
        await self.send_file(sha256, found["filename"])

    def _allowed(self, name: str, update_id: int, sha256: str) -> dict[str, Any] | None:
        """The attachment, if the person's portfolio holds its factory; else None."""
        found = self.store.attachment(update_id, sha256)
        return found if covered(self.store, name, found["factory_id"]) else None

    def _preview(self, sha256: str, media_type: str) -> bytes:
        kept = PREVIEWS.get(sha256)
        if kept is not None:
            return kept
        content, _type = self.store.evidence_file(sha256)
        jpeg = preview(content, media_type, ENDINGS.get(media_type, "FILE"))
        PREVIEWS.put(sha256, jpeg)
        return jpeg


class MinutesHandler(_FileHandler):
    """A PICC meeting's minutes file (as an attachment), for people whose portfolio holds its
    factory: the programme's, and the factory's own people."""

    @web.authenticated
    async def get(self, visit_id: str) -> None:
        """Send the minutes when the signed-in person's portfolio holds the meeting's factory."""
        loop = asyncio.get_running_loop()
        name = self.current_user.username
        try:
            found = await loop.run_in_executor(None, self.store.visit_minutes, int(visit_id))
        except NotFoundError:
            raise web.HTTPError(404) from None
        allowed = await loop.run_in_executor(None, covered, self.store, name, found["factory_id"])
        if not allowed:
            self.log.warning("minutes of visit %s refused to %s", visit_id, name)
            raise web.HTTPError(404)
        self.log.info("minutes of visit %s sent to %s", visit_id, name)
        await self.send_file(found["sha256"], found["filename"])


class ProposalEvidenceHandler(_FileHandler):
    """A file sent with a proposal, before it is accepted: for its reviewer to see what she
    accepts, and for the factory's own people (whose portfolio holds the factory)."""

    @web.authenticated
    async def get(self, proposal_id: str, sha256: str) -> None:
        """Send the file when the signed-in person's portfolio holds the proposal's factory."""
        loop = asyncio.get_running_loop()
        name = self.current_user.username
        try:
            found = await loop.run_in_executor(
                None, self.store.proposal_attachment, int(proposal_id), sha256
            )
        except NotFoundError:
            raise web.HTTPError(404) from None
        allowed = await loop.run_in_executor(None, covered, self.store, name, found["factory_id"])
        if not allowed:
            self.log.warning("proposal %s's file refused to %s", proposal_id, name)
            raise web.HTTPError(404)
        self.log.info("proposal %s's file %s sent to %s", proposal_id, sha256[:12], name)
        await self.send_file(sha256, found["filename"])
