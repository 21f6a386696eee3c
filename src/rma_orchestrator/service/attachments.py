"""Attachments: upload a photo, proof of purchase or evidence to a case (or staged, before the case
exists), list a case's files, hand out a file or its thumbnail; and the checks start and complete
make on the attachment ids their forms' file fields carry.

Bytes live on disk under the data dir by content hash (``attachments/ab/abcdef…``, thumbnails
under ``thumbnails/``), one file per content however often it is uploaded; the rows say whose
and where. A refused upload writes nothing: the content is checked (``uploads.inspect``) and
the case read before the first file is written, and files this upload wrote are removed again
if its transaction fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..engine.bundle import ProcessDefinition
from ..errors import Conflict, InvalidData, NotFound
from ..store import attachments as stored
from ..store import limits, queries
from ..store.attachments import NewAttachment
from ..store.files import FileStore
from ..store.uow import UnitOfWork
from . import permissions
from .context import Actor, Services
from .forms import file_references
from .inputs import check_id, text_problem
from .results import AttachmentInfo
from .rows import build
from .uploads import display_name, inspect

KINDS = ("photo", "proof_of_purchase", "evidence", "other")
TAKES_ATTACHMENTS = ("running", "suspended", "error")  # an ended case's record is closed


def originals(services: Services) -> FileStore:
    return FileStore(services.settings.data_dir / "attachments")


def thumbnails(services: Services) -> FileStore:
    return FileStore(services.settings.data_dir / "thumbnails")


@dataclass(frozen=True)
class Upload:
    """One file to keep: its kind, the name it came with, its bytes, and the field a refusal names."""

    kind: str
    filename: str | None
    content: bytes
    field: str = "file"


def add_attachment(
    services: Services,
    actor: Actor,
    instance_id: int | None,
    kind: str,
    filename: str | None,
    content: bytes,
    task_id: str | None = None,
) -> AttachmentInfo:
    """Keep an uploaded file on case ``instance_id``, or staged for the actor's next case when None.

    The type comes from the content (JPEG, PNG, WebP, PDF); images get a thumbnail now.
    """
    (info,) = add_attachments(services, actor, instance_id, [Upload(kind, filename, content)], task_id)
    return info


def add_attachments(
    services: Services,
    actor: Actor,
    instance_id: int | None,
    uploads: Sequence[Upload],
    task_id: str | None = None,
) -> list[AttachmentInfo]:
    """Keep several uploads in one transaction (a form's files): every one is checked before any
    file is written, so one refused file keeps none (InvalidData naming the upload's ``field``)."""
    if instance_id is None:
        permissions.require_may_stage_uploads(actor)
    else:
        permissions.require_may_read_cases(actor)
        check_id("process instance", instance_id, limits.INSTANCE_ID)
    for upload in uploads:
        _check_kind(upload.kind)
    if task_id is not None and (instance_id is None or text_problem(task_id, limits.TASK_ID) is not None):
        raise InvalidData("bad task_id", [{"field": "task_id", "message": "must be a task of the case"}])
    checked = []  # before any lock or file
    for upload in uploads:
        try:
            checked.append((upload, inspect(upload.content, services.settings.max_upload_mb)))
        except InvalidData as error:
            raise InvalidData(error.message, [{"field": upload.field, "message": error.message}]) from None
    new_files: list[tuple[FileStore, str]] = []
    rows = []
    with services.clock.pinned() as now, services.uow() as uow:
        if instance_id is not None:
            _check_takes_attachments(uow, instance_id, task_id)
        try:
            for upload, inspected in checked:
                sha256 = hashlib.sha256(upload.content).hexdigest()
                if originals(services).put(sha256, upload.content):
                    new_files.append((originals(services), sha256))
                if inspected.thumbnail is not None and thumbnails(services).put(sha256, inspected.thumbnail):
                    new_files.append((thumbnails(services), sha256))
                new = NewAttachment(
                    instance_id=instance_id,
                    kind=upload.kind,
                    filename=display_name(upload.filename, limits.ATTACHMENT_NAME),
                    content_type=inspected.content_type,
                    size=len(upload.content),
                    sha256=sha256,
                    width=inspected.width,
                    height=inspected.height,
                    uploaded_by=actor.name,
                    uploaded_at=now,
                    task_id=task_id,
                )
                row = uow.attachments.insert(new)
                if instance_id is not None:
                    _record_added(uow, row, now, actor)
                rows.append(row)
            uow.commit()
        except BaseException:
            # Nothing refers to a file this upload wrote (another upload of the same bytes finding
            # it meanwhile is the one race left, and would need this commit to fail as well).
            for store, digest in new_files:
                store.remove(digest)
            raise
    return [_info(services, row) for row in rows]


def list_attachments(services: Services, actor: Actor, instance_id: int) -> list[AttachmentInfo]:
    """The case's attachments in upload order."""
    permissions.require_may_read_cases(actor)
    check_id("process instance", instance_id, limits.INSTANCE_ID)
    with services.database.reading() as connection:
        if not queries.instance_exists(connection, instance_id):
            raise NotFound(f"process instance {instance_id} not found")
        rows = stored.attachments_of(connection, instance_id)
    return [_info(services, row) for row in rows]


def get_attachment(services: Services, actor: Actor, attachment_id: int) -> AttachmentInfo:
    """One attachment: a case's to whoever reads cases, a staged one to its uploader only."""
    permissions.require_may_read_cases(actor)
    check_id("attachment", attachment_id, limits.ATTACHMENT_ID)
    with services.database.reading() as connection:
        row = stored.attachment(connection, attachment_id)
    if row is None or (
        row.instance_id is None and not permissions.owns_staged_upload(actor, row.uploaded_by)
    ):
        raise NotFound(f"attachment {attachment_id} not found")
    return _info(services, row)


def attachment_file(
    services: Services, actor: Actor, attachment_id: int, thumbnail: bool = False
) -> tuple[AttachmentInfo, Path]:
    """The attachment and where its bytes (or its thumbnail, a JPEG) are on disk."""
    info = get_attachment(services, actor, attachment_id)
    if thumbnail and not info.has_thumbnail:
        raise NotFound(f"attachment {attachment_id} has no thumbnail (only images have one)")
    store = thumbnails(services) if thumbnail else originals(services)
    path = store.path(info.sha256)
    if not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing from the data directory")
    return info, path


# ---- the attachment ids in start and task data -------------------------------------------------------


def staged_for_start(
    uow: UnitOfWork, definition: ProcessDefinition, form: str, data: Any, actor: Actor
) -> list[int]:
    """The ids in the start form's file fields, each a staged upload of ``actor`` (else InvalidData)."""
    return _referenced(
        uow,
        definition.forms[form],
        data,
        lambda row: row.instance_id is None and permissions.owns_staged_upload(actor, row.uploaded_by),
        "is not an upload of yours waiting for a new case",
        "the data names attachments it may not use",
    )


def link_staged(uow: UnitOfWork, ids: Sequence[int], instance_id: int, actor: Actor, now: datetime) -> None:
    """Put the staged uploads on the new case, guarded: one linked meanwhile elsewhere is refused."""
    if not ids:
        return
    if uow.attachments.link(ids, instance_id, actor.name) != len(ids):
        raise InvalidData(
            "an attachment was used meanwhile",
            [{"field": "", "message": "one of the attachments was put on another case meanwhile"}],
        )
    for row in uow.attachments.by_ids(ids).values():
        _record_added(uow, row, now, actor)


def files_of_task(
    uow: UnitOfWork, definition: ProcessDefinition, form: str, data: Any, instance_id: int
) -> list[int]:
    """The ids in the task form's file fields, each an attachment of the task's case (else InvalidData)."""
    return _referenced(
        uow,
        definition.forms[form],
        data,
        lambda row: row.instance_id == instance_id,
        "is not an attachment of this case",
        "the data names attachments of another case",
    )


def _referenced(
    uow: UnitOfWork,
    schema: dict[str, Any],
    data: Any,
    allowed: Callable[[Any], bool],
    why_not: str,
    summary: str,
) -> list[int]:
    """The distinct attachment ids of the form's file fields in ``data``; InvalidData at each field
    naming one that does not exist or is not ``allowed``."""
    references = file_references(schema, data)
    # An id outside the column's range names nothing; the database is not asked (it would overflow).
    rows = uow.attachments.by_ids([r.id for r in references if 1 <= r.id <= limits.ATTACHMENT_ID])
    errors = [
        {"field": r.path, "message": f"attachment {r.id} {why_not}"}
        for r in references
        if (row := rows.get(r.id)) is None or not allowed(row)
    ]
    if errors:
        raise InvalidData(summary, errors)
    # A field of one kind takes only attachments of that kind: an evidence field counts as
    # evidence for the eligibility table, so a photo named there is refused.
    wrong_kind = [
        {"field": r.path, "message": f"attachment {r.id} is a {rows[r.id].kind}, this field takes {r.kind}"}
        for r in references
        if r.kind is not None and rows[r.id].kind != r.kind
    ]
    if wrong_kind:
        raise InvalidData("an attachment is of another kind than its field", wrong_kind)
    return sorted({r.id for r in references})


# ---- helpers ------------------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidData(
            "unknown kind", [{"field": "kind", "message": f"must be one of {', '.join(KINDS)}"}]
        )


def _check_takes_attachments(uow: UnitOfWork, instance_id: int, task_id: str | None) -> None:
    instance = uow.instances.lock(instance_id)  # NotFound when there is no such case
    if instance.status not in TAKES_ATTACHMENTS:
        raise Conflict(f"instance {instance_id} is {instance.status}; an ended case takes no attachments")
    if task_id is not None:
        task = uow.tasks.get(task_id)
        if task is None or task.instance_id != instance_id:
            raise InvalidData(
                "unknown task", [{"field": "task_id", "message": f"no task {task_id} on case {instance_id}"}]
            )


def _record_added(uow: UnitOfWork, row: Any, now: datetime, actor: Actor) -> None:
    uow.events.record(
        row.instance_id,
        "attachment_added",
        now,
        actor.name,
        None,
        attachment_id=row.id,
        attachment_kind=row.kind,
        filename=row.filename,
        content_type=row.content_type,
        sha256=row.sha256,
        task_id=row.task_id,
    )


def _info(services: Services, row: Any) -> AttachmentInfo:
    has_thumbnail = row.content_type.startswith("image/") and thumbnails(services).exists(row.sha256)
    return build(AttachmentInfo, row, has_thumbnail=has_thumbnail)
