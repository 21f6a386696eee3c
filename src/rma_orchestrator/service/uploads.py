"""What an uploaded file is, decided from its bytes alone: JPEG, PNG, WebP or PDF, or refused.

The name and the content type the client sends are never believed: a file is sniffed by its
magic bytes, and an image is then opened, checked against Pillow's decompression-bomb limit,
verified and decoded (that is how its thumbnail is made), so a PNG header on garbage is refused
too. Nothing here touches the disk or the database; every refusal is an InvalidData on ``file``.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InvalidData

THUMBNAIL_SIZE = 320  # pixels, the longest side
THUMBNAIL_TYPE = "image/jpeg"
ACCEPTED = "JPEG, PNG, WebP or PDF"
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_PDF_TAIL = 1024  # %%EOF must come within the last KiB, as PDF readers require


@dataclass(frozen=True)
class Inspected:
    content_type: str
    width: int | None
    height: int | None
    thumbnail: bytes | None  # JPEG, for images


def refusal(message: str) -> InvalidData:
    return InvalidData(message, [{"field": "file", "message": message}])


def sniff(content: bytes) -> str | None:
    """The content type the magic bytes at the start of ``content`` announce, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def inspect(content: bytes, max_mb: float) -> Inspected:
    """The checked type, size in pixels and thumbnail of an upload; InvalidData when it is refused."""
    if not content:
        raise refusal("the file is empty")
    if len(content) > megabytes(max_mb):
        raise refusal(too_large(max_mb))
    content_type = sniff(content)
    if content_type is None:
        raise refusal(f"this kind of file is not accepted; send a {ACCEPTED} file")
    if content_type == "application/pdf":
        if b"%%EOF" not in content[-_PDF_TAIL:]:
            raise refusal("the PDF file is damaged or cut short (no %%EOF at its end)")
        return Inspected(content_type, None, None, None)
    return _inspect_image(content, content_type)


def _inspect_image(content: bytes, content_type: str) -> Inspected:
    name = content_type.removeprefix("image/").upper()
    formats = [_IMAGE_FORMATS[content_type]]
    try:
        with Image.open(io.BytesIO(content), formats=formats) as image:
            width, height = image.size
            _check_pixels(width, height)
            image.verify()
        with Image.open(io.BytesIO(content), formats=formats) as image:
            thumbnail = _thumbnail(image)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise refusal(f"the {name} image is damaged and cannot be read") from None
    return Inspected(content_type, width, height, thumbnail)


def _check_pixels(width: int, height: int) -> None:
    """Pillow's decompression-bomb limit, applied in full (Pillow itself only warns below twice it)."""
    limit = Image.MAX_IMAGE_PIXELS
    if width < 1 or height < 1:
        raise refusal("the image has no pixels")
    if limit is not None and width * height > limit:
        raise _too_many_pixels()


def _too_many_pixels() -> InvalidData:
    limit = Image.MAX_IMAGE_PIXELS
    return refusal(f"the image has too many pixels (at most {limit:,} are accepted)")


def _thumbnail(image: Image.Image) -> bytes:
    """A JPEG no larger than ``THUMBNAIL_SIZE`` on its longest side, turned as the camera said."""
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))  # decodes the image: damage shows here
    turned = ImageOps.exif_transpose(image)
    rgba = turned.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    out = io.BytesIO()
    flat.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def megabytes(count: float) -> int:
    """``count`` MB in bytes (of 1,048,576 each)."""
    return int(count * 1024 * 1024)


def too_large(max_mb: float) -> str:
    return f"the file is larger than the limit of {max_mb:g} MB"


def display_name(filename: str | None, limit: int) -> str:
    """The client's file name fit for display: no folders, no control characters, at most ``limit``.

    A name that is cut keeps its extension; an empty one becomes ``file``.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    name = " ".join(name.split()).strip(". ") or "file"
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: limit - len(extension) - 1] + "." + extension
        else:
            name = name[:limit]
    return name
