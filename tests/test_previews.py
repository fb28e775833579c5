"""Previews of evidence files: a photo's thumbnail, a PDF's first page, a tile for the rest."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bwcases.render.previews import PREVIEW_PX, preview, previewable, tile

needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no pdftoppm")


def picture(size: tuple[int, int], kind: str = "JPEG", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, kind, **save)
    return out.getvalue()


def shown(jpeg: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG"
    return img


def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width × height (its pixels are never there to decode)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_photo_becomes_a_small_thumbnail_turned_as_it_was_taken() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: shown rotated by 90°
    jpeg = picture((4000, 3000), exif=exif)
    thumb = shown(preview(jpeg, "image/jpeg", "JPG"))
    assert thumb.size == (PREVIEW_PX * 3 // 4, PREVIEW_PX)  # upright, longest side 320
    assert thumb.getpixel((100, 100))[0] > 150  # its colour, not a tile's grey


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_other_photos_too(kind: str) -> None:
    thumb = shown(preview(picture((800, 400), kind), f"image/{kind.lower()}", kind))
    assert thumb.size == (PREVIEW_PX, PREVIEW_PX // 2)


@needs_pdftoppm
def test_a_pdf_shows_its_first_page() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    fig = plt.figure(figsize=(8.27, 11.69))  # A4, upright
    fig.patch.set_facecolor((0.1, 0.3, 0.8))
    fig.savefig(out, format="pdf", facecolor=fig.get_facecolor())
    plt.close(fig)
    page = shown(preview(out.getvalue(), "application/pdf", "PDF"))
    assert page.height == PREVIEW_PX and page.width < page.height
    red, green, blue = page.getpixel((page.width // 2, page.height // 2))
    assert blue > 150 and red < 80  # the page's own colour
    assert previewable("application/pdf")


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (b"%PDF-1.4 not really", "application/pdf"),
        (b"\xff\xd8\xff\xe0 cut short", "image/jpeg"),
        (png_header(6000, 6000), "image/png"),  # 36 million pixels: not decoded whole
        (png_header(30000, 30000), "image/png"),  # a decompression bomb
        (b"PK\x03\x04 a Word file", "application/vnd.ms-word"),
    ],
)
def test_a_file_without_a_picture_gets_a_tile(content: bytes, media_type: str) -> None:
    assert preview(content, media_type, "DOC") == tile("DOC")


def test_a_40_mb_photo_is_previewed_in_bounded_memory(tmp_path: Path) -> None:
    # 8000 × 6000 of noise: a ~40 MB JPEG, 144 MB once decoded whole
    big = tmp_path / "big.jpg"
    make = (
        "import os, sys; from PIL import Image; "
        "Image.frombytes('RGB', (8000, 6000), os.urandom(8000 * 6000 * 3))"
        ".save(sys.argv[1], 'JPEG', quality=95)"
    )
    subprocess.run([sys.executable, "-c", make, str(big)], check=True)
    assert big.stat().st_size > 30 * 1024 * 1024
    measure = (
        "import resource, sys; from pathlib import Path; "
        "from bwcases.render.previews import preview; "
        "content = Path(sys.argv[1]).read_bytes(); "
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "thumb = preview(content, 'image/jpeg', 'JPG'); "
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "print(len(thumb), (after - before) // 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, str(big)], check=True, capture_output=True, text=True
    )
    size, grew_mb = map(int, done.stdout.split())
    print(f"a {big.stat().st_size // 2**20} MB photo: preview of {size} bytes, +{grew_mb} MB")
    assert 1000 < size < 100_000
    assert grew_mb < 40  # decoded at 1/8 of its size: ~18 MB, not 144
