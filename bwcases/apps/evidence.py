"""Evidence files: what may be uploaded (type by content, size), the files chosen for a progress
update, and the links to a stored one."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import cut, fmt_date, html, pieces, shared_layout
from bwcases.apps.drafts import DIRTY
from bwcases.core.i18n import N_
from bwcases.render.previews import preview, previewable
from bwcases.render.templating import macros
from bwcases.store import Upload

# The page script checks both before it sends a byte (frontend/src/index.js; a file too large
# arrives as its name and size only), so no message passes the server's websocket limit.
MAX_BYTES = 10 * 1024 * 1024  # a phone photo or a scanned page; larger files slow field links
MAX_FILES = 5  # per progress update
# What a file's first bytes say it is; the name a browser gives it is never trusted.
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}
OFFICE = {  # zip containers: the name's ending decides which of these it is
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# image/* lets a tablet or a phone offer its camera beside its files; what else it lets through
# is named and refused by its content (sniff)
ACCEPT = "image/*,.pdf,.jpg,.jpeg,.png,.webp,.heic,.heif,.docx,.xlsx"
THUMB_PX = 120  # a chosen photo's thumbnail, drawn by the kernel before anything is stored
# The server's address of a stored file of a progress update (bwcases.web.evidence.ROUTE)
EVIDENCE_PATH = "evidence"
TOO_MANY = N_("At most {n} files at a time.")
STUB_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # what the chooser is given back of a file
# The endings a stored file's name may have for its content's type (the first when it has none
# of them): "report.html" holding a PDF is kept as "report.pdf", "pic.svg" holding a PNG as
# "pic.png", so that no program opens it as something it is not.
ENDINGS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
    **{media_type: (ending,) for ending, media_type in OFFICE.items()},
}


def sniff(filename: str, content: bytes) -> str | None:
    """The media type of an allowed file, from its content; None for anything else."""
    for magic, offset, media_type in SIGNATURES:
        riff = media_type != "image/webp" or content[:4] == b"RIFF"
        if content[offset : offset + len(magic)] == magic and riff:
            return media_type
    if content[4:8] == b"ftyp" and content[8:12] in HEIF_BRANDS:
        return "image/heic"
    suffix = PurePosixPath(filename.lower()).suffix
    if content[:4] == b"PK\x03\x04" and suffix in OFFICE:
        return OFFICE[suffix]
    return None


def clean_name(filename: str) -> str:
    """A file's own name without any folder, control characters or surplus length."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "evidence"
    stem, dot, suffix = name.rpartition(".")
    if len(name) > 120:
        name = f"{stem[:100]}.{suffix[:10]}" if dot else name[:120]
    return name


def stored_name(filename: str, media_type: str) -> str:
    """A file's name with the ending its content proves."""
    endings = ENDINGS[media_type]
    path = PurePosixPath(filename)
    if path.suffix.lower() in endings:
        return filename
    return f"{path.stem if path.suffix else filename}{endings[0]}"


def check_upload(f: dict[str, Any], _: Callable[[str], str]) -> Upload | str:
    """A file of an ipywidgets FileUpload as it may be stored, or why it may not."""
    name = clean_name(str(f.get("name", "")))
    content = bytes(f.get("content", b""))
    declared = int(f.get("size") or 0)  # the browser's; a file too large comes without bytes
    if max(len(content), declared) > MAX_BYTES:
        return _("{name} is larger than {mb} MB.").format(name=name, mb=MAX_BYTES // (1024 * 1024))
    if not content:
        return _("{name} is empty.").format(name=name)
    if declared and declared != len(content):
        return _("{name} did not arrive whole: choose it again.").format(name=name)
    media_type = sniff(name, content)
    if media_type is None:
        return _(
            "{name} is not a PDF, a photo (JPEG, PNG, WebP, HEIC) or a Word or Excel file."
        ).format(name=name)
    return Upload(stored_name(name, media_type), media_type, content)


def evidence_url(base_url: str, update_id: int, sha256: str, preview: bool = False) -> str:
    """The server's address of a file stored with a progress update (or of its preview)."""
    url = f"{base_url}{EVIDENCE_PATH}/{int(update_id)}/{sha256}"
    return f"{url}/preview" if preview else url


def download_link(filename: str, media_type: str, content: bytes, label: str) -> str:
    """An HTML link that saves a stored file under its name (the bytes travel in the link)."""
    data = base64.b64encode(content).decode("ascii")
    return str(pieces().download(filename, media_type, data, label))


def size_text(size: int) -> str:
    """A file size as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} kB"


VIEWS = "apps/evidence.html.j2"  # the chosen and the stored files


def views() -> Any:
    """The evidence views (bwcases.render's apps/evidence.html.j2), each a macro."""
    return macros(VIEWS)


def kind_of(filename: str) -> str:
    """A file's kind as its tile names it: its name's ending (PDF, DOCX…)."""
    return PurePosixPath(filename).suffix.lstrip(".").upper()[:5] or "FILE"


def thumbnail(upload: Upload, size: int = THUMB_PX) -> str:
    """A data: URI of a chosen file's picture, drawn in the kernel; "" when it has none."""
    if not previewable(upload.media_type):
        return ""
    jpeg = preview(upload.content, upload.media_type, kind_of(upload.filename), size)
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


@dataclass(frozen=True)
class Chosen:
    """A file chosen for the next progress update: as it will be stored, or why it cannot be."""

    name: str
    size: int
    upload: Upload | None = None
    problem: str | None = None
    thumb: str = ""


class ChosenFiles(widgets.VBox):
    """The files chosen for the next progress update, each by name with its picture and a button
    that takes it out; each choice adds to them."""

    children: tuple[widgets.Widget, ...]  # the head, then a row per file (traitlets' tuple)

    # The browser's file chooser sends each choice once; the kernel keeps its files here and
    # gives the chooser back only their names (a removal sends no bytes down a slow link), so
    # that its count says how many files the update will store.

    def __init__(self, control: widgets.FileUpload) -> None:
        self.control = control
        self.files: list[Chosen] = []
        self.head = html()
        self.rows: list[widgets.HBox] = []
        self._: Callable[[str], str] = str
        self.giving_names = False  # the chooser's value is being set from here: not a choice
        self.on_remove: Callable[[int], None] = self.remove  # the app's, to guard it
        super().__init__([self.head], layout=shared_layout())
        self.add_class("bw-evidence-chosen")

    @property
    def uploads(self) -> list[Upload]:
        """The files to store with the update."""
        return [f.upload for f in self.files if f.upload is not None]

    @property
    def problem(self) -> str | None:
        """Why chosen files cannot be stored (each says which), or None."""
        problems = [f.problem for f in self.files if f.problem]
        return " ".join(dict.fromkeys(problems)) if problems else None

    def relabel(self, _: Callable[[str], str]) -> None:
        """Put the texts in the page's language."""
        self._ = _
        self.draw()

    def take(self, uploaded: Iterable[dict[str, Any]]) -> None:
        """Add a choice of files, each checked now; the files refused before are dropped."""
        _ = self._
        kept = [f for f in self.files if f.upload is not None]
        stored = {f.upload.sha256 for f in kept if f.upload is not None}
        batch = list(uploaded)
        too_many = len(batch) > MAX_FILES  # the page sent their names only
        for f in batch:
            name = clean_name(str(f.get("name", "")))
            size = int(f.get("size") or 0)
            if too_many or len(stored) >= MAX_FILES:
                kept.append(Chosen(name, size, problem=_(TOO_MANY).format(n=MAX_FILES)))
                continue
            checked = check_upload(f, _)
            if isinstance(checked, str):
                kept.append(Chosen(name, size, problem=checked))
            elif checked.sha256 not in stored:  # the same file chosen twice is stored once
                stored.add(checked.sha256)
                size = len(checked.content)
                kept.append(Chosen(checked.filename, size, checked, thumb=thumbnail(checked)))
        self.files = kept
        self.draw()

    def remove(self, index: int) -> None:
        """Take a chosen file out."""
        if 0 <= index < len(self.files):
            del self.files[index]
        self.draw()

    def clear(self) -> None:
        """Forget every chosen file (they were stored, or the form shows another item)."""
        self.files = []
        self.draw()

    def draw(self) -> None:
        """List the chosen files, and give the chooser their names."""
        _ = self._
        if len(self.files) < len(self.children) - 1:  # rows go first: no file on the page twice
            self.children = (self.head, *self.rows[: len(self.files)])
        while len(self.rows) < len(self.files):
            self.rows.append(self._row(len(self.rows)))
        for row, chosen in zip(self.rows, self.files, strict=False):
            shown, remove = row.children
            size = size_text(chosen.size) if chosen.size else ""
            # why it is refused is the field's error, tied to the chooser; here, that it is
            refused = _("Not stored: see why above.") if chosen.problem else ""
            shown.value = str(
                views().chosen(chosen.thumb, kind_of(chosen.name), chosen.name, size, refused)
            )
            remove.description = _("Remove")
            remove.tooltip = _("Remove {name}").format(name=chosen.name)
        self.children = (self.head, *self.rows[: len(self.files)])
        head = _("Files to store with this update: {n}").format(n=len(self.uploads))
        self.head.value = str(views().chosen_head(head)) if self.files else ""
        # files not stored yet: the page asks before a reload or a link leaves them
        if self.uploads:
            self.add_class(DIRTY)
        else:
            self.remove_class(DIRTY)
        self._give_names()

    def _row(self, index: int) -> widgets.HBox:
        remove = widgets.Button(layout=shared_layout("auto"))
        remove.add_class("bw-evidence-remove")
        remove.on_click(lambda _b: self.on_remove(index))
        row = widgets.HBox([html(), remove], layout=shared_layout())
        row.add_class("bw-evidence-row")
        return row

    def _give_names(self) -> None:
        names = tuple(
            {
                "name": f.name,
                "type": f.upload.media_type,
                "size": f.size,
                "content": b"",
                "last_modified": STUB_TIME,
            }
            for f in self.files
            if f.upload is not None
        )
        if names == tuple(self.control.value):
            return
        self.giving_names = True
        try:
            self.control.value = names
        finally:
            self.giving_names = False


def stored_files(
    files: pd.DataFrame, updates: pd.DataFrame, base_url: str, _: Callable[[str], str]
) -> list[dict[str, str]]:
    """The stored files as the views show them: address, picture, kind, name, facts, and the
    progress update each came with."""
    by_id = {int(u["id"]): u for u in updates.to_dict("records")} if len(updates) else {}
    shown = []
    for f in files.to_dict("records"):
        update_id, sha = int(f["update_id"]), str(f["sha256"])
        media_type = str(f["media_type"])
        update = by_id.get(update_id)
        came = ""
        if update is not None:
            came = _("With the update of {date} by {name}: {note}").format(
                date=fmt_date(update["date"]), name=update["author"], note=cut(update["note"], 80)
            )
        shown.append(
            {
                "url": evidence_url(base_url, update_id, sha),
                "picture": evidence_url(base_url, update_id, sha, preview=True)
                if previewable(media_type)
                else "",
                "kind": kind_of(str(f["filename"])),
                "name": str(f["filename"]),
                "facts": f"{fmt_date(f['date'])} · {size_text(int(f['size']))}",
                "came_with": came,
                "update_id": str(update_id),
            }
        )
    return shown
