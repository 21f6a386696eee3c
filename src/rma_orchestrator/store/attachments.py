"""Attachment rows: insert an upload, link staged ones to a new case, read one or a case's list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from .db import AnyRow
from .models import TABLES

_attachment = TABLES["attachment"]

ATTACHMENT_COLUMNS = (
    _attachment.c.id,
    _attachment.c.instance_id,
    _attachment.c.kind,
    _attachment.c.filename,
    _attachment.c.content_type,
    _attachment.c.size,
    _attachment.c.sha256,
    _attachment.c.width,
    _attachment.c.height,
    _attachment.c.uploaded_by,
    _attachment.c.uploaded_at,
    _attachment.c.task_id,
)
_INSERT = insert(_attachment).returning(*ATTACHMENT_COLUMNS)
_GET = select(*ATTACHMENT_COLUMNS).where(_attachment.c.id == bindparam("id"))
_OF_INSTANCE = (
    select(*ATTACHMENT_COLUMNS)
    .where(_attachment.c.instance_id == bindparam("instance_id"))
    .order_by(_attachment.c.uploaded_at, _attachment.c.id)
)
_BY_IDS = select(*ATTACHMENT_COLUMNS).where(_attachment.c.id.in_(bindparam("ids", expanding=True)))
# A staged upload is linked only while it is still staged and still its uploader's: a guarded write.
_LINK = (
    update(_attachment)
    .where(
        _attachment.c.id.in_(bindparam("ids", expanding=True)),
        _attachment.c.instance_id.is_(None),
        _attachment.c.uploaded_by == bindparam("owner"),
    )
    .values(instance_id=bindparam("instance_id"))
)
_TAG_TASK = (
    update(_attachment)
    .where(
        _attachment.c.id.in_(bindparam("ids", expanding=True)),
        _attachment.c.instance_id == bindparam("b_instance_id"),
        _attachment.c.task_id.is_(None),
    )
    .values(task_id=bindparam("task_id"))
)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    instance_id: int | None
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    uploaded_by: str
    uploaded_at: datetime
    task_id: str | None


class AttachmentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, new: NewAttachment) -> AnyRow:
        """The new row, with the columns of ``ATTACHMENT_COLUMNS``."""
        values = {name: getattr(new, name) for name in NewAttachment.__slots__}
        return self._connection.execute(_INSERT, values).one()

    def by_ids(self, ids: Sequence[int]) -> dict[int, AnyRow]:
        if not ids:
            return {}
        return {row.id: row for row in self._connection.execute(_BY_IDS, {"ids": list(ids)})}

    def link(self, ids: Sequence[int], instance_id: int, owner: str) -> int:
        """Put the staged uploads ``ids`` of ``owner`` on the instance; how many were linked."""
        values = {"ids": list(ids), "instance_id": instance_id, "owner": owner}
        return int(self._connection.execute(_LINK, values).rowcount)

    def tag_task(self, ids: Sequence[int], instance_id: int, task_id: str) -> None:
        """Name ``task_id`` as the task the instance's attachments ``ids`` came with, where none is named."""
        values = {"ids": list(ids), "b_instance_id": instance_id, "task_id": task_id}
        self._connection.execute(_TAG_TASK, values)


def attachment(connection: Connection, attachment_id: int) -> AnyRow | None:
    return connection.execute(_GET, {"id": attachment_id}).one_or_none()


def attachments_of(connection: Connection, instance_id: int) -> list[AnyRow]:
    """The instance's attachments in upload order."""
    return list(connection.execute(_OF_INSTANCE, {"instance_id": instance_id}))
