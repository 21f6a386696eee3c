"""The JSON API: attachments: uploads, lists and downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import InvalidData
from ...service import (
    attachments,
)
from ...service.results import (
    AttachmentInfo,
    Page,
)
from ...service.uploads import THUMBNAIL_TYPE, megabytes, too_large
from ..auth import current_actor, services
from ..downloads import send_attachment
from . import bp
from .operations import MAX_BODY_BYTES, Multipart, operation

UPLOAD_PARTS: dict[str, dict[str, Any]] = {
    "file": {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP or PDF"},
    "kind": {"type": "string", "enum": list(attachments.KINDS), "default": "other"},
}
MULTIPART_SLACK = 64 * 1024  # bytes of part headers and boundaries allowed beyond the file itself
FILE_TYPES = ("image/png", "image/webp", "application/pdf")  # besides image/jpeg


def _upload() -> tuple[str, str | None, bytes]:
    """The upload's (kind, file name, bytes); a body too large is refused before it is read (413)."""
    limit = services().settings.max_upload_mb
    request.max_content_length = min(MAX_BODY_BYTES, megabytes(limit) + MULTIPART_SLACK)
    try:
        parts = request.files.getlist("file")
        kind = request.form.get("kind", "other")
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(too_large(limit)) from None
    if len(parts) != 1:
        problem = "send the file in one part named file" if not parts else "send one file per upload"
        raise InvalidData("no file", [{"field": "file", "message": problem}])
    return kind, parts[0].filename, parts[0].read()


@operation(
    bp,
    "post",
    "/attachments",
    summary="Upload a file for a case not started yet (staged: only you see it, your next start uses it)",
    returns=AttachmentInfo,
    status=201,
    errors=(400, 403),
    body=Multipart(UPLOAD_PARTS, required=("file",)),
)
def stage_attachment() -> AttachmentInfo:
    kind, filename, content = _upload()
    return attachments.add_attachment(services(), current_actor(), None, kind, filename, content)


@operation(
    bp,
    "post",
    "/process-instances/<int:instance_id>/attachments",
    summary="Upload a photo, proof of purchase or evidence to a case",
    returns=AttachmentInfo,
    status=201,
    errors=(400, 403, 404, 409),
    body=Multipart(
        {**UPLOAD_PARTS, "task_id": {"type": "string", "description": "the task whose form it comes with"}},
        required=("file",),
    ),
)
def add_attachment(instance_id: int) -> AttachmentInfo:
    kind, filename, content = _upload()
    task_id = request.form.get("task_id") or None
    return attachments.add_attachment(
        services(), current_actor(), instance_id, kind, filename, content, task_id=task_id
    )


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>/attachments",
    summary="A case's attachments in upload order",
    returns=Page[AttachmentInfo],
    errors=(403, 404),
)
def list_attachments(instance_id: int) -> Page[AttachmentInfo]:
    items = attachments.list_attachments(services(), current_actor(), instance_id)
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>",
    summary="One attachment",
    returns=AttachmentInfo,
    errors=(403, 404),
)
def get_attachment(attachment_id: int) -> AttachmentInfo:
    return attachments.get_attachment(services(), current_actor(), attachment_id)


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>/content",
    summary="The file itself, as a download of the type its bytes showed at upload",
    returns=bytes,
    errors=(403, 404),
    media_type="image/jpeg",
    also_media=FILE_TYPES,
)
def attachment_content(attachment_id: int) -> Response:
    info, path = attachments.attachment_file(services(), current_actor(), attachment_id)
    return send_attachment(info, path)


@operation(
    bp,
    "get",
    "/attachments/<int:attachment_id>/thumbnail",
    summary="A JPEG of an image attachment, at most 320 pixels on its longest side (404 for PDFs)",
    returns=bytes,
    errors=(403, 404),
    media_type=THUMBNAIL_TYPE,
)
def attachment_thumbnail(attachment_id: int) -> Response:
    info, path = attachments.attachment_file(services(), current_actor(), attachment_id, thumbnail=True)
    return send_attachment(info, path, thumbnail=True)
