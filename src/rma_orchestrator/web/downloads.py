"""Sending an attachment's bytes: one helper, so that pages and the API hand out files the same way.

The type sent is the one sniffed at upload, never guessed again from the name; browsers are told
not to sniff (``nosniff``) and to run nothing in it (a sandboxing CSP), and the name travels both
as UTF-8 (``filename*``) and as a plain ASCII fallback for old clients. The ETag is the content
hash, so a client revalidating an unchanged file gets a 304 (after the permission check).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from flask import Response, send_file

from ..service.results import AttachmentInfo
from ..service.uploads import THUMBNAIL_TYPE

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


def send_attachment(
    info: AttachmentInfo, path: Path, inline: bool = False, thumbnail: bool = False
) -> Response:
    """The response carrying ``path`` (from ``attachment_file``): a download, or shown in place if ``inline``.

    ``thumbnail``: ``path`` is the attachment's thumbnail (a JPEG), sent inline under a name saying so.
    """
    content_type = THUMBNAIL_TYPE if thumbnail else info.content_type
    name = _thumbnail_name(info.filename) if thumbnail else info.filename
    response = send_file(
        path,
        mimetype=content_type,
        etag=f"{info.sha256}-thumbnail" if thumbnail else info.sha256,
        last_modified=info.uploaded_at,
        conditional=True,
    )
    response.headers["Content-Disposition"] = content_disposition(
        name, inline or thumbnail, _EXTENSIONS.get(content_type, "")
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def content_disposition(filename: str, inline: bool, extension: str = "") -> str:
    """``attachment`` (or ``inline``), an ASCII ``filename`` fallback and the exact UTF-8 ``filename*``."""
    fallback = ascii_name(filename, extension)
    exact = quote(filename, safe="")
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def ascii_name(filename: str, extension: str = "") -> str:
    """A plain ASCII stand-in for ``filename``: accents dropped, other characters gone or ``_``.

    A name with nothing left becomes ``attachment``; ``extension`` is added when it does not end so.
    """
    stem, dot, suffix = filename.rpartition(".")
    if not dot:
        stem, suffix = filename, ""
    name = _plain(stem) or "attachment"
    if _plain(suffix):
        name += "." + _plain(suffix)
    if extension and not name.lower().endswith(extension):
        name += extension
    return name


def _plain(text: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("_", ascii_only).strip(" ._")


def _thumbnail_name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem}-thumbnail.jpg"
