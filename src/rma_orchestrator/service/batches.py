"""Batch actions of the managers' case list: cancel, suspend, resume or retry the incidents of many
cases, each case in its own transaction, with a report of what failed and why.

A preview resolves the cases (the ids chosen, or every case a list filter matches, in the list's
order) and a run acts on exactly those ids: a case that changed in between fails on its own (the
one-case command says why, e.g. Conflict when it already ended) and the others go on. A run never
shares a transaction between cases: it calls the one-case commands one by one, and writes each
case's outcome to ``batch_item`` after that case's command returned, so the report
(``get_batch``) shows the progress of a run still going and stays readable for ``KEEP_DAYS``.
The reports are a table, not recomputed from the audit trail, because a refused case leaves no
event behind and the report must say why it was refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from ..errors import Conflict, InvalidData, NotFound, RmaError
from ..store import batches as stored
from ..store import instance_search as stored_search
from ..store import limits, queries
from ..store.db import AnyRow
from . import permissions
from .context import Actor, Services
from .incidents import retry_incident
from .inputs import check_text
from .instance_search import InstanceSearch
from .instances import cancel_instance, resume_instance, suspend_instance

log = logging.getLogger(__name__)

BatchAction = Literal["cancel", "suspend", "resume", "retry_incidents"]
ACTIONS: tuple[BatchAction, ...] = ("cancel", "suspend", "resume", "retry_incidents")
MAX_BATCH = 1000  # cases per batch: a run is synchronous, about a second per 20 cases
PREVIEW_ROWS = 20  # cases a preview lists by name
KEEP_DAYS = 30  # a report is kept this long; older ones go when a new batch starts


@dataclass(frozen=True)
class BatchCase:
    id: int
    business_key: str
    process_key: str
    version: int
    status: str


@dataclass(frozen=True)
class BatchPreview:
    """What a run would act on: ``instance_ids`` (all of them), the first ``PREVIEW_ROWS`` by name."""

    action: BatchAction
    total: int
    instance_ids: list[int]
    first: list[BatchCase]
    filter: dict[str, str] | None  # the list's parameters the cases came from (None: chosen by hand)


@dataclass(frozen=True)
class BatchItemResult:
    instance_id: int
    business_key: str | None
    outcome: Literal["pending", "ok", "failed"]
    message: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class BatchReport:
    id: int
    action: BatchAction
    reason: str
    actor: str
    filter: dict[str, str] | None
    created_at: datetime
    finished_at: datetime | None
    total: int
    succeeded: int
    failed: int
    pending: int
    items: list[BatchItemResult]


def preview_batch(
    services: Services,
    actor: Actor,
    action: str,
    instance_ids: Sequence[int] | None = None,
    search: InstanceSearch | None = None,
) -> BatchPreview:
    """The cases a batch would act on: exactly one of ``instance_ids`` and ``search`` (its page ignored)."""
    permissions.require_may_manage_instances(actor)
    checked = _check_action(action)
    if (instance_ids is None) == (search is None):
        raise InvalidData(
            "choose the cases",
            [{"field": "instance_ids", "message": "give either instance_ids or a filter, not both"}],
        )
    with services.database.reading() as connection:
        if search is not None:
            where = search.where(services.clock.now(), services.settings.business_tz)
            rows = stored_search.instance_chunk(connection, where, search.order(), None, MAX_BATCH + 1)
            _check_size(len(rows))
            ids = [row.id for row in rows]
        else:
            ids = _chosen(instance_ids or [])
        found = stored.instance_keys(connection, ids)
    if not ids:
        problem = {"field": "instance_ids", "message": "choose at least one case (no case matches)"}
        raise InvalidData("no case chosen", [problem])
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise InvalidData("unknown cases", [{"field": "instance_ids", "message": f"no case {shown}"}])
    first = [_case(found[i]) for i in ids[:PREVIEW_ROWS]]
    return BatchPreview(checked, len(ids), ids, first, search.params() if search is not None else None)


def run_batch(
    services: Services,
    actor: Actor,
    action: str,
    instance_ids: Sequence[int],
    reason: str,
    filter_params: Mapping[str, str] | None = None,
) -> BatchReport:
    """Act on each case of ``instance_ids`` in its own transaction; the report says ok or why not."""
    permissions.require_may_manage_instances(actor)
    checked = _check_action(action)
    _check_reason(reason)
    ids = _chosen(instance_ids)
    if not ids:
        problem = {"field": "instance_ids", "message": "choose at least one case"}
        raise InvalidData("no case chosen", [problem])
    reason = reason.strip()
    query = urlencode(dict(filter_params)) if filter_params else None
    with services.clock.pinned() as now, services.uow() as uow:
        keys = stored.instance_keys(uow.connection, ids)
        uow.batches.remove_before(now - timedelta(days=KEEP_DAYS))
        cases = [(i, keys[i].business_key if i in keys else None) for i in ids]
        batch_id = uow.batches.start(checked, reason, actor.name, query, cases, now)
        uow.commit()
    act = _ACTS[checked]
    for position, instance_id in enumerate(ids):
        outcome, message = _one(services, act, instance_id, actor, reason)
        with services.uow() as uow:
            uow.batches.record(batch_id, position, outcome, message, services.clock.now())
            uow.commit()
    with services.uow() as uow:
        uow.batches.finish(batch_id, services.clock.now())
        uow.commit()
    return get_batch(services, batch_id, actor)


def run_matching_batch(
    services: Services, actor: Actor, action: str, search: InstanceSearch, reason: str
) -> BatchReport:
    """Every case ``search`` matches now (at most ``MAX_BATCH``), acted on as ``run_batch`` does."""
    permissions.require_may_manage_instances(actor)
    _check_reason(reason)  # before the filter is resolved: a refusal looks nothing up
    preview = preview_batch(services, actor, action, search=search)
    return run_batch(services, actor, action, preview.instance_ids, reason, preview.filter)


def get_batch(services: Services, batch_id: int, actor: Actor) -> BatchReport:
    permissions.require_may_monitor(actor)
    if not 1 <= batch_id <= limits.INSTANCE_ID:
        raise NotFound(f"batch {batch_id} not found")
    with services.database.reading() as connection:
        run = stored.batch(connection, batch_id)
        if run is None:
            raise NotFound(f"batch {batch_id} not found (reports are kept {KEEP_DAYS} days)")
        items = [
            BatchItemResult(row.instance_id, row.business_key, row.outcome, row.message, row.done_at)
            for row in stored.batch_items(connection, batch_id)
        ]
    counts = {outcome: sum(1 for item in items if item.outcome == outcome) for outcome in ("ok", "failed")}
    return BatchReport(
        id=run.id,
        action=run.action,
        reason=run.reason,
        actor=run.actor,
        filter=_parsed_query(run.filter_query),
        created_at=run.created_at,
        finished_at=run.finished_at,
        total=run.total,
        succeeded=counts["ok"],
        failed=counts["failed"],
        pending=len(items) - counts["ok"] - counts["failed"],
        items=items,
    )


Act = Callable[[Services, int, Actor, str], None]


def _one(services: Services, act: Act, instance_id: int, actor: Actor, reason: str) -> tuple[str, str | None]:
    """One case's command: ok, or failed with what the command said (never stops the batch)."""
    try:
        act(services, instance_id, actor, reason)
    except RmaError as error:
        return "failed", f"{type(error).__name__}: {error.message}"
    except Exception as error:  # noqa: BLE001 - one case's surprise must not stop the others
        log.exception("batch action on instance %s failed", instance_id)
        return "failed", f"internal error ({type(error).__name__}); see the service log"
    return "ok", None


def _cancel(services: Services, instance_id: int, actor: Actor, reason: str) -> None:
    cancel_instance(services, instance_id, actor, reason)


def _suspend(services: Services, instance_id: int, actor: Actor, reason: str) -> None:
    suspend_instance(services, instance_id, actor, reason)


def _resume(services: Services, instance_id: int, actor: Actor, reason: str) -> None:
    resume_instance(services, instance_id, actor, reason)


def _retry_incidents(services: Services, instance_id: int, actor: Actor, reason: str) -> None:
    """Retry every open incident of the case, unchanged, each in its own transaction."""
    with services.database.reading() as connection:
        if not queries.instance_exists(connection, instance_id):
            raise NotFound(f"process instance {instance_id} not found")
        incidents = queries.incidents_of(connection, instance_id)
        open_ids = [row.id for row in incidents if row.resolved_at is None]
    if not open_ids:
        raise Conflict(f"instance {instance_id} has no open incident")
    again = [i for i in open_ids if retry_incident(services, i, actor, None, reason).new_incident]
    if again:
        retried = ", ".join(map(str, again))
        raise Conflict(f"the step failed again (incident {retried} retried, a new one opened)")


_ACTS: dict[BatchAction, Act] = {
    "cancel": _cancel,
    "suspend": _suspend,
    "resume": _resume,
    "retry_incidents": _retry_incidents,
}


def _check_action(action: str) -> BatchAction:
    for known in ACTIONS:
        if action == known:
            return known
    problem = {"field": "action", "message": f"must be one of {', '.join(ACTIONS)}"}
    raise InvalidData("unknown action", [problem])


def _check_reason(reason: str) -> None:
    check_text("reason", reason, limits.ACTION_REASON)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidData("a reason is required", [{"field": "reason", "message": "say why (required)"}])


def _check_size(count: int) -> None:
    if count > MAX_BATCH:
        message = f"at most {MAX_BATCH:,} cases per batch; narrow the filter (it matches more)"
        raise InvalidData("too many cases", [{"field": "instance_ids", "message": message}])


def _chosen(instance_ids: Sequence[int]) -> list[int]:
    """The ids once each, in the order given, all of them possible ids, no more than the cap."""
    ids: list[int] = []
    seen: set[int] = set()
    for value in instance_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits.INSTANCE_ID:
            raise InvalidData("bad id", [{"field": "instance_ids", "message": f"{value!r} is not a case id"}])
        if value not in seen:
            seen.add(value)
            ids.append(value)
    _check_size(len(ids))
    return ids


def _case(row: AnyRow) -> BatchCase:
    return BatchCase(row.id, row.business_key, row.process_key, row.version, row.status)


def _parsed_query(query: str | None) -> dict[str, str] | None:
    if not query:
        return None
    return dict(parse_qsl(query, keep_blank_values=True))
