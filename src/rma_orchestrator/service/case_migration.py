"""Moving running cases to another version of their process (issue 12, point 5): a dry run, one case
per transaction, and a batch run of the movable ones with a report.

Rules (decided here; the engine's half is in ``engine.case_migration``):

- Only cases of ``from_version`` that are ``running`` or ``suspended`` move (a suspended case stays
  suspended). A case in ``error`` is listed as not movable: retry or resolve its incident on the
  version it failed on first, so that the failing element and its incident keep meaning the same
  thing. Ended cases are not listed.
- The target may be any other deployed version of the process, older ones too (moving cases back
  after a bad change is a migration as well); the same version is refused.
- Open user tasks keep their rows (id, assignee, claims, drafts); their name, group and form are
  those of the target's element from then on. Unchanged timers keep their due times; a timer whose
  definition changed is due by its new expression counted from when its wait began (the old
  timer row is cancelled, a new one is pending); one already due then fires at once, as the
  scheduler would fire any overdue timer. Message subscriptions follow the target's message names.
- Every moved case gets the audit event ``instance_migrated`` {from_version, to_version, reason,
  batch_id, timers: the timers computed again, with their old and new due times}.
- A dry run (and a run's choice of cases) covers at most ``MAX_CASES`` cases: it restores each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import serializer
from ..engine.case_migration import CaseNotMovable, check
from ..engine.move_reasons import MoveReason, reason
from ..engine.step import Migrate
from ..errors import Conflict, InvalidData, NotFound
from ..store import case_moves, limits
from ..store import definitions as stored_definitions
from . import permissions
from .batch_inputs import check_reason, chosen
from .batches import BatchReport, start_run
from .context import Actor, Services
from .inputs import check_text
from .instance_step import retried_on_conflict, take_step, write_step
from .results import InstanceInfo
from .rows import instance_info

MOVABLE_STATUSES = ("running", "suspended")
LISTED_STATUSES = ("running", "suspended", "error")
MAX_CASES = 5_000
EVENT_KIND = "instance_migrated"


@dataclass(frozen=True)
class MigrationCandidate:
    """``reasons`` in English; ``reason_codes`` the same reasons as codes and parameters (for the pages)."""

    instance_id: int
    business_key: str
    status: str
    movable: bool
    reasons: list[str]
    reason_codes: list[MoveReason]


@dataclass(frozen=True)
class MigrationPlan:
    """What a migration would do: each case of ``from_version`` (or each chosen one), movable or why not."""

    process_key: str
    from_version: int
    to_version: int
    items: list[MigrationCandidate]
    total: int
    movable: int


def dry_run(
    services: Services,
    process_key: str,
    from_version: int,
    to_version: int,
    instance_ids: Sequence[int] | None,
    actor: Actor,
) -> MigrationPlan:
    """Per case: whether it can move to ``to_version`` and, if not, every reason. Changes nothing."""
    permissions.require_may_deploy(actor)
    target_id = _check_versions(services, process_key, from_version, to_version)
    target = services.definitions.get(target_id)
    items = []
    for case in _cases(services, process_key, from_version, instance_ids):
        reasons = _status_reasons(case.status)
        if not reasons:
            reasons = _restored_reasons(services, case.id, target, to_version)
        texts = [found.text for found in reasons]
        items.append(MigrationCandidate(case.id, case.business_key, case.status, not reasons, texts, reasons))
    movable = sum(1 for item in items if item.movable)
    return MigrationPlan(process_key, from_version, to_version, items, len(items), movable)


def start_migration(
    services: Services,
    process_key: str,
    from_version: int,
    to_version: int,
    instance_ids: Sequence[int] | None,
    reason: str,
    actor: Actor,
) -> BatchReport:
    """A batch run (action ``migrate``) of the movable cases among those chosen (all of the version
    when none are); each case moves in its own transaction, in the background, with a report."""
    permissions.require_may_deploy(actor)
    check_reason(reason)
    plan = dry_run(services, process_key, from_version, to_version, instance_ids, actor)
    cases = [(item.instance_id, item.business_key) for item in plan.items if item.movable]
    if not cases:
        raise Conflict(
            f"none of the {plan.total} case(s) of {process_key} version {from_version} can move to "
            f"version {to_version}: see the dry run for why"
        )
    return start_run(services, actor, "migrate", cases, reason, None, to_version)


@retried_on_conflict
def migrate_instance(
    services: Services,
    instance_id: int,
    to_version: int,
    actor: Actor,
    reason: str | None = None,
    batch_id: int | None = None,
) -> InstanceInfo:
    """Move one case to ``to_version`` of its process in one transaction; Conflict (nothing changed)
    when it cannot move, saying why."""
    permissions.require_may_deploy(actor)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        instance = uow.instances.lock(instance_id)
        head = case_moves.case_state(uow.connection, instance_id)
        assert head is not None  # locked above
        if instance.status not in MOVABLE_STATUSES:
            why = _status_reasons(instance.status)[0].text
            raise Conflict(f"case {instance.business_key} is {instance.status}: {why}")
        if instance.version == to_version:
            raise Conflict(f"case {instance.business_key} is on version {to_version} already")
        target = stored_definitions.definition_by_version(uow.connection, instance.process_key, to_version)
        if target is None:
            raise NotFound(f"process {instance.process_key!r} has no version {to_version}")
        since = case_moves.wait_starts(uow.connection, instance_id)
        command = Migrate(to_version, dict(head.data or {}), tuple(since.items()))
        from_version = instance.version
        try:
            prepared = take_step(services, uow, instance, command, target_id=target.id)
        except CaseNotMovable as error:
            key = instance.business_key
            raise Conflict(f"case {key} cannot move to version {to_version}: {error}") from error
        uow.instances.move_to(instance, target.id, to_version)
        outcome = write_step(services, uow, instance, prepared, actor.name, "migrate")
        snap = outcome.result.snapshot
        kept = set(prepared.previous.tasks)
        uow.projection.relabel_open_tasks(
            [(t.task_id, t.name, t.lane, t.form) for t in snap.user_tasks if t.task_id in kept]
        )
        details: dict[str, Any] = {"from_version": from_version, "to_version": to_version}
        if reason:
            details["reason"] = reason
        if batch_id is not None:
            details["batch_id"] = batch_id
        details["timers"] = [
            {"element_id": m.element_id, "due_before": m.before, "due_at": m.after}
            for m in outcome.result.moved_timers
            if m.recomputed
        ]
        uow.events.record(instance.id, EVENT_KIND, now, actor.name, None, **details)
        uow.commit()
        return instance_info(instance)


def _check_versions(services: Services, process_key: str, from_version: int, to_version: int) -> int:
    """The target's definition id, once the process and both versions are known and differ."""
    check_text("process_key", process_key, limits.PROCESS_KEY)
    problems = [
        {"field": name, "message": "must be a version number (1, 2, ...)"}
        for name, value in (("from_version", from_version), ("to_version", to_version))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits.INSTANCE_ID
    ]
    if problems:
        raise InvalidData("bad version", problems)
    if from_version == to_version:
        problem = {"field": "to_version", "message": "must differ from from_version"}
        raise InvalidData("same version", [problem])
    with services.database.reading() as connection:
        source = stored_definitions.definition_by_version(connection, process_key, from_version)
        target = stored_definitions.definition_by_version(connection, process_key, to_version)
    for version, row in ((from_version, source), (to_version, target)):
        if row is None:
            raise NotFound(f"process {process_key!r} has no version {version}")
    assert target is not None
    return int(target.id)


def _cases(
    services: Services, process_key: str, version: int, instance_ids: Sequence[int] | None
) -> list[Any]:
    """The cases chosen (each must be of that process and version) or every listed case of it."""
    with services.database.reading() as connection:
        if instance_ids is None:
            listed = LISTED_STATUSES
            rows = case_moves.cases_on_version(connection, process_key, version, listed, MAX_CASES + 1)
        else:
            ids = chosen(instance_ids, MAX_CASES)
            found = case_moves.cases_by_id(connection, ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"no case {', '.join(map(str, missing[:10]))}")
            rows = [found[i] for i in ids]
    other = [r for r in rows if (r.process_key, r.version) != (process_key, version)]
    if other:
        shown = ", ".join(f"{r.id} ({r.process_key} version {r.version})" for r in other[:10])
        message = f"not cases of {process_key} version {version}: {shown}"
        problem = {"field": "instance_ids", "message": message}
        raise InvalidData("cases of another version", [problem])
    if len(rows) > MAX_CASES:
        problem = {"field": "instance_ids", "message": f"at most {MAX_CASES:,} cases at once: choose them"}
        raise InvalidData("too many cases", [problem])
    return rows


def _status_reasons(status: str) -> list[MoveReason]:
    if status in MOVABLE_STATUSES:
        return []
    if status == "error":
        return [reason("case_in_error")]
    return [reason("case_not_running", status=status)]


def _restored_reasons(services: Services, instance_id: int, target: Any, to_version: int) -> list[MoveReason]:
    """Why the stored case cannot move (restored from its state; nothing runs)."""
    with services.database.reading() as connection:
        row = case_moves.case_state(connection, instance_id)
    if row is None:
        return [reason("case_gone")]
    source = services.definitions.get(row.definition_id)
    workflow = serializer.loads(row.state, source.spec, source.subprocess_specs, None)
    return list(check(workflow, target, to_version, row.data or {}).reasons)


def migration_act(target_version: int | None) -> Any:
    """The batch worker's command for one case of a ``migrate`` run."""

    def act(services: Services, instance_id: int, actor: Actor, reason: str, batch_id: int) -> None:
        if target_version is None:
            raise Conflict("this migration run names no target version")
        migrate_instance(services, instance_id, target_version, actor, reason, batch_id=batch_id)

    return act
