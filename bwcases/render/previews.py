"""Small previews of evidence files: a photo's thumbnail, a PDF's first page, else a tile."""

# A preview is a JPEG of at most PREVIEW_PX a side (a few kB on a slow link), made by the server
# from a stored file, or by a page's kernel from a file just chosen. Memory stays bounded
# whatever the file: a JPEG is decoded at 1/2 to 1/8 of its size (Pillow's draft mode), other
# images only when their pixels fit MAX_PIXELS, and a PDF is rasterised by poppler's pdftoppm in
# a process of its own, with a time and a memory limit.

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import threading

from PIL import Image, ImageDraw, ImageFont, ImageOps

from bwcases.core.logs import server_log

log = server_log("bwcases.render")

PREVIEW_PX = 320  # the longest side of a preview
QUALITY = 80
MAX_PIXELS = 25_000_000  # an image decoded whole (PNG, WebP): at most ~100 MB in RGBA
PDF_SECONDS = 15  # a PDF page that takes longer to draw gets the tile instead
PDF_MEMORY = 1024 * 1024 * 1024  # bytes of address space pdftoppm may take
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
PDF = "application/pdf"
BACKGROUND = (255, 255, 255)
# at most this many previews are drawn at once: two cores serve every page too
_drawing = threading.BoundedSemaphore(2)


def previewable(media_type: str) -> bool:
    """Whether a file of this type can be shown as a picture of itself."""
    return media_type in IMAGES or (media_type == PDF and pdftoppm() is not None)


@functools.cache
def pdftoppm() -> str | None:
    """poppler's pdftoppm, when it is installed (looked up once: every redraw asks)."""
    return shutil.which("pdftoppm")


def preview(content: bytes, media_type: str, label: str, size: int = PREVIEW_PX) -> bytes:
    """A JPEG preview of a file, at most `size` a side: its picture, or a tile with `label`."""
    with _drawing:
        try:
            if media_type in IMAGES:
                drawn = image_preview(content, size)
            elif media_type == PDF:
                drawn = pdf_preview(content, size)
            else:
                drawn = None
        except Exception:  # a damaged or hostile file: the tile, and the server goes on
            log.warning("no preview of a %s file of %d bytes", media_type, len(content))
            drawn = None
        return drawn if drawn is not None else tile(label, size)


def image_preview(content: bytes, size: int = PREVIEW_PX) -> bytes | None:
    """A photo's thumbnail, turned as the camera held it; None when it is too large to decode."""
    with Image.open(io.BytesIO(content)) as img:
        img.draft("RGB", (size, size))  # JPEG only: decoded at a fraction of its size
        if img.width * img.height > MAX_PIXELS:
            return None
        img.thumbnail((size, size))
        return _jpeg(ImageOps.exif_transpose(img))


def pdf_preview(content: bytes, size: int = PREVIEW_PX) -> bytes | None:
    """A PDF's first page; None without pdftoppm or when it cannot draw the page in time."""
    program = pdftoppm()
    if program is None:
        return None
    command = [program, "-jpeg", "-f", "1", "-l", "1", "-singlefile"]
    command += ["-scale-to", str(size), "-"]  # from stdin, to stdout
    limit = shutil.which("prlimit")
    if limit:
        command = [limit, f"--as={PDF_MEMORY}", "--", *command]
    try:
        done = subprocess.run(
            command, input=content, capture_output=True, timeout=PDF_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0 or not done.stdout:
        return None
    with Image.open(io.BytesIO(done.stdout)) as page:  # a JPEG, as small as asked
        return _jpeg(page)


def tile(label: str, size: int = PREVIEW_PX) -> bytes:
    """A plain tile naming the kind of file (PDF, DOCX…), for files without a picture."""
    width, height = size * 3 // 4, size
    img = Image.new("RGB", (width, height), (243, 245, 247))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(208, 215, 222), width=2)
    font = ImageFont.load_default(size=max(10, size // 9))
    box = draw.textbbox((0, 0), label, font=font)
    x, y = (width - (box[2] - box[0])) / 2, (height - (box[3] - box[1])) / 2
    draw.text((x, y), label, fill=(61, 71, 82), font=font)
    return _jpeg(img)


def _jpeg(img: Image.Image) -> bytes:
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, BACKGROUND)
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
