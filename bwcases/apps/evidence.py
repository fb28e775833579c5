"""Evidence files: what may be uploaded (type by content, size), and the link to download one."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from bwcases.apps.common import pieces
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
ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,.heic,.docx,.xlsx"
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


def check_uploads(
    uploaded: Iterable[dict[str, Any]], _: Callable[[str], str]
) -> tuple[list[Upload], str | None]:
    """The files of an ipywidgets FileUpload that may be stored, or why they may not."""
    files = list(uploaded)
    if len(files) > MAX_FILES:
        return [], _("At most {n} files at a time.").format(n=MAX_FILES)
    out = []
    for f in files:
        name = clean_name(str(f.get("name", "")))
        content = bytes(f.get("content", b""))
        declared = int(f.get("size") or 0)  # the browser's; a file too large comes without bytes
        if max(len(content), declared) > MAX_BYTES:
            return [], _("{name} is larger than {mb} MB.").format(
                name=name, mb=MAX_BYTES // (1024 * 1024)
            )
        if not content:
            return [], _("{name} is empty.").format(name=name)
        if declared and declared != len(content):
            return [], _("{name} did not arrive whole: choose it again.").format(name=name)
        media_type = sniff(name, content)
        if media_type is None:
            return [], _(
                "{name} is not a PDF, a photo (JPEG, PNG, WebP, HEIC) or a Word or Excel file."
            ).format(name=name)
        out.append(Upload(stored_name(name, media_type), media_type, content))
    return out, None


def download_link(filename: str, media_type: str, content: bytes, label: str) -> str:
    """An HTML link that saves a stored file under its name (the bytes travel in the link)."""
    data = base64.b64encode(content).decode("ascii")
    return str(pieces().download(filename, media_type, data, label))


def size_text(size: int) -> str:
    """A file size as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} kB"
