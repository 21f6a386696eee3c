"""The JSON API: moving running cases to another version of their process (analysts). A dry run
lists each case with whether it can move and why not; otherwise the movable ones are moved by a
batch run in the background (202, Location: its report at GET /batches/{id})."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from pydantic import StrictBool, StrictInt

from ...service import case_migration
from ...service.batches import BatchReport
from ...service.case_migration import MigrationPlan
from ..auth import current_actor, services
from . import bp
from .operations import operation, parse_body


@dataclass(frozen=True)
class MigrationBody:
    """Which cases move where: ``instance_ids`` (each of ``process_key`` ``from_version``), or every
    running, suspended or failed case of that version; ``reason`` goes into each case's history."""

    process_key: str
    from_version: StrictInt
    to_version: StrictInt
    instance_ids: list[StrictInt] | None = None
    dry_run: StrictBool = False
    reason: str | None = None


@operation(
    bp,
    "post",
    "/migrations",
    summary="Move running cases to another version of their process (analysts): with dry_run each "
    "case, whether it can move and why not (200); else a batch run moves the movable ones, each in "
    "its own transaction (202, Location: its report); 409 when none can move",
    returns=MigrationPlan | BatchReport,
    status=202,
    also=(200,),
    errors=(400, 403, 404, 409),
    body=MigrationBody,
)
def migrate_cases() -> tuple[MigrationPlan | BatchReport, int] | tuple[BatchReport, int, dict[str, str]]:
    body = parse_body(MigrationBody)
    actor = current_actor()
    key, source, target, ids = body.process_key, body.from_version, body.to_version, body.instance_ids
    if body.dry_run:
        return case_migration.dry_run(services(), key, source, target, ids, actor), 200
    reason = body.reason if body.reason is not None else f"moved to version {target}"
    report = case_migration.start_migration(services(), key, source, target, ids, reason, actor)
    return report, 202, {"Location": url_for("api.get_batch", batch_id=report.id)}
