"""Diagram drafts of the analysts' modeler: editable copies of a process's files, saved revision by revision.

A draft starts from the files a deployed version depends on (its BPMN, the DMN, forms and called
processes it uses) or empty. Every change names the revision it was based on and is refused with
``DraftChanged`` when someone saved in between, so two analysts never silently overwrite each other.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from ..errors import DraftChanged, InvalidData, NotFound
from ..store import definitions as stored_definitions
from ..store import diagram_drafts as stored
from ..store import limits
from ..store.uow import UnitOfWork
from . import definitions, permissions
from .context import Actor, Services
from .draft_results import DiagramDraftInfo, DraftFileInfo
from .inputs import check_id, check_text, text_problem
from .results import DeployResult, ValidationResult

MAX_FILE_BYTES = 4 * 1024 * 1024  # one diagram, table or form: the largest of ours is about 60 KiB
MAX_FILES = 200  # in one draft
MAX_NOTE = 2000  # characters of a deploy's change note
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes for the same files: no clock in the archive


def create_draft(
    services: Services, process_key: str, actor: Actor, version: int | None = None
) -> DiagramDraftInfo:
    """A draft of ``process_key`` holding the files of its ``version`` (the latest when None).

    A process never deployed starts an empty draft; a version it does not have is not found.
    """
    permissions.require_may_deploy(actor)
    check_text("process_key", process_key, limits.PROCESS_KEY)
    if version is not None and not 1 <= version <= limits.VERSION:
        raise NotFound(f"process {process_key!r} has no version {version}")
    with services.clock.pinned() as now, services.uow() as uow:
        if version is None:
            row = stored_definitions.latest_definition(uow.connection, process_key)
        else:
            row = stored_definitions.definition_by_version(uow.connection, process_key, version)
            if row is None:
                raise NotFound(f"process {process_key!r} has no version {version}")
        files = dict(row.files) if row is not None else {}
        base_version = row.version if row is not None else None
        draft_id = uow.diagram_drafts.insert(process_key, base_version, files, actor.name, now)
        created = _written(uow, draft_id)
        uow.commit()
    return created


def list_drafts(services: Services, actor: Actor) -> list[DiagramDraftInfo]:
    """Every draft, the most recently saved first (their files' names and sizes, not contents)."""
    permissions.require_may_deploy(actor)
    with services.database.reading() as connection:
        rows = stored.drafts(connection)
        sizes = stored.sizes(connection, {digest for row in rows for digest in row.files.values()})
    return [_info(row, sizes) for row in rows]


def get_draft(services: Services, draft_id: int, actor: Actor) -> DiagramDraftInfo:
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    with services.database.reading() as connection:
        row = _found(stored.draft(connection, draft_id), draft_id)
        return _info(row, stored.sizes(connection, set(row.files.values())))


def read_draft_file(services: Services, draft_id: int, name: str, actor: Actor) -> bytes:
    """The contents of the draft's file ``name``."""
    return _files(services, draft_id, actor, name)[name]


def draft_files(services: Services, draft_id: int, actor: Actor) -> dict[str, bytes]:
    """Every file of the draft: name → contents."""
    return _files(services, draft_id, actor)


def save_draft_file(
    services: Services, draft_id: int, name: str, content: bytes, revision: int, actor: Actor
) -> DiagramDraftInfo:
    """Put ``content`` in the draft as ``name`` (a new name adds a file), if the draft is at ``revision``."""
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    _check_name(name)
    if len(content) > MAX_FILE_BYTES:
        raise InvalidData(
            "file too large",
            [{"field": "content", "message": f"at most {MAX_FILE_BYTES} bytes (got {len(content)})"}],
        )
    digest = definitions.sha256(content)
    with services.clock.pinned() as now, services.uow() as uow:
        row = _current(uow.diagram_drafts.get(draft_id), draft_id, revision)
        if name not in row.files and len(row.files) >= MAX_FILES:
            raise InvalidData(
                "too many files", [{"field": "name", "message": f"a draft holds at most {MAX_FILES} files"}]
            )
        uow.diagram_drafts.store_blobs({digest: content})
        _replace(uow, row, {**row.files, name: digest}, actor, now)
        saved = _written(uow, draft_id)
        uow.commit()
    return saved


def delete_draft_file(
    services: Services, draft_id: int, name: str, revision: int, actor: Actor
) -> DiagramDraftInfo:
    """Take ``name`` out of the draft, if the draft is at ``revision``."""
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    with services.clock.pinned() as now, services.uow() as uow:
        row = _current(uow.diagram_drafts.get(draft_id), draft_id, revision)
        if name not in row.files:
            raise NotFound(f"draft {draft_id} has no file {name!r}")
        _replace(uow, row, {n: d for n, d in row.files.items() if n != name}, actor, now)
        saved = _written(uow, draft_id)
        uow.commit()
    return saved


def delete_draft(services: Services, draft_id: int, actor: Actor) -> None:
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    with services.uow() as uow:
        if not uow.diagram_drafts.delete(draft_id):
            raise NotFound(f"draft {draft_id} not found")
        uow.commit()


def validate_draft(services: Services, draft_id: int, actor: Actor) -> ValidationResult:
    """The errors and lint warnings of the draft's files, exactly as POST /validations of them."""
    return definitions.validate_definitions(services, _files(services, draft_id, actor), actor)


def draft_archive(services: Services, draft_id: int, actor: Actor) -> tuple[str, bytes]:
    """A zip of the draft's files and a file name for it."""
    files = _files(services, draft_id, actor)
    process_key = get_draft(services, draft_id, actor).process_key
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), files[name], zipfile.ZIP_DEFLATED)
    return f"{process_key}-draft-{draft_id}.zip", buffer.getvalue()


def deploy_draft(services: Services, draft_id: int, note: str, revision: int, actor: Actor) -> DeployResult:
    """Deploy the draft's files as they are at ``revision``, with the change ``note`` (required)."""
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    note = note.strip()
    check_text("note", note, MAX_NOTE)
    with services.database.reading() as connection:
        row = _current(stored.draft(connection, draft_id), draft_id, revision)
        files = stored_definitions.blobs(connection, dict(row.files))
    return definitions.deploy(services, files, actor, note=note)


def _files(services: Services, draft_id: int, actor: Actor, name: str | None = None) -> dict[str, bytes]:
    """The draft's files (only ``name`` when given), read in one transaction."""
    permissions.require_may_deploy(actor)
    check_id("draft", draft_id, limits.DRAFT_ID)
    with services.database.reading() as connection:
        row = _found(stored.draft(connection, draft_id), draft_id)
        wanted = dict(row.files)
        if name is not None:
            if name not in wanted:
                raise NotFound(f"draft {draft_id} has no file {name!r}")
            wanted = {name: wanted[name]}
        return stored_definitions.blobs(connection, wanted)


def _check_name(name: str) -> None:
    """A file name a deploy accepts and a folder can hold: no path, one of the deployable suffixes."""
    problem = text_problem(name, limits.FILE_NAME)
    if problem is None and ("/" in name or "\\" in name):
        problem = "a file name, without / or \\"
    if problem is None and (not name.endswith(definitions.ALLOWED_SUFFIXES) or name.startswith(".")):
        problem = f"must end in {', '.join(definitions.ALLOWED_SUFFIXES)} and not start with a dot"
    if problem is not None:
        raise InvalidData(f"bad file name {name!r}", [{"field": "name", "message": problem}])


def _found(row: Any, draft_id: int) -> Any:
    if row is None:
        raise NotFound(f"draft {draft_id} not found")
    return row


def _current(row: Any, draft_id: int, revision: int) -> Any:
    """The draft row, if it is still at ``revision``; DraftChanged, naming who saved, if not."""
    _found(row, draft_id)
    if row.revision != revision:
        raise _changed(draft_id, revision, row.revision, row.updated_by)
    return row


def _replace(uow: UnitOfWork, row: Any, files: dict[str, str], actor: Actor, now: datetime) -> None:
    """Write ``files`` as the draft's next revision; refused if a concurrent save won the race."""
    if not uow.diagram_drafts.replace_files(row.id, row.revision, files, actor.name, now):
        latest = _found(uow.diagram_drafts.get(row.id), row.id)
        raise _changed(row.id, row.revision, latest.revision, latest.updated_by)


def _written(uow: UnitOfWork, draft_id: int) -> DiagramDraftInfo:
    """The draft as this transaction wrote it: a save answered later might show someone else's revision."""
    row = _found(uow.diagram_drafts.get(draft_id), draft_id)
    return _info(row, stored.sizes(uow.connection, set(row.files.values())))


def _changed(draft_id: int, expected: int, revision: int, updated_by: str) -> DraftChanged:
    return DraftChanged(
        f"draft {draft_id} is at revision {revision} (saved by {updated_by}), not {expected}: "
        "reload it and make your change again",
        revision,
        updated_by,
    )


def _info(row: Any, sizes: dict[str, int]) -> DiagramDraftInfo:
    return DiagramDraftInfo(
        id=row.id,
        process_key=row.process_key,
        base_version=row.base_version,
        revision=row.revision,
        files=[DraftFileInfo(name, digest, sizes[digest]) for name, digest in sorted(row.files.items())],
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )
