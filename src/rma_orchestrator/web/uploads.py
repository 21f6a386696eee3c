"""Files sent with a page's form: each becomes an attachment, and its id goes into the form's data."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import FileStorage

from ..service import attachments, uploads
from ..service.context import Actor
from .auth import services


def store_uploads(
    actor: Actor,
    instance_id: int | None,
    schema: dict[str, Any],
    data: dict[str, Any],
    files: dict[str, list[FileStorage]],
    task_id: str | None = None,
) -> dict[str, Any]:
    """Store every uploaded file (on the case, or staged for a case not started yet) in one go; the
    data with the new attachment ids appended to their fields. A refused file stores none."""
    limit = uploads.megabytes(services().settings.max_upload_mb)
    sent = [
        attachments.Upload(_kind_of(schema, path), f.filename, f.stream.read(limit + 1), field=path)
        for path, files_of_field in files.items()
        for f in files_of_field
        if f and f.filename
    ]
    if not sent:
        return data
    stored = attachments.add_attachments(services(), actor, instance_id, sent, task_id=task_id)
    result = data
    for upload, info in zip(sent, stored, strict=True):
        result = _append(result, upload.field, info.id)
    return result


def _field_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node = schema
    for part in path.split("."):
        node = node.get("items", {}) if part.isdigit() else node.get("properties", {}).get(part, {})
    return node


def _kind_of(schema: dict[str, Any], path: str) -> str:
    kind = _field_schema(schema, path).get("ui:kind", "other")
    return kind if isinstance(kind, str) else "other"


def _append(data: dict[str, Any], path: str, attachment_id: int) -> dict[str, Any]:
    """A copy of ``data`` with ``attachment_id`` appended to the list at the dotted ``path``."""
    result = dict(data)
    node: Any = result
    parts = path.split(".")
    for part in parts[:-1]:
        key: Any = int(part) if part.isdigit() else part
        child = node[key] if isinstance(node, list) else node.get(key)
        child = list(child) if isinstance(child, list) else dict(child or {})
        node[key] = child
        node = child
    last = parts[-1]
    current = node.get(last)
    node[last] = [*(current if isinstance(current, list) else []), attachment_id]
    return result
