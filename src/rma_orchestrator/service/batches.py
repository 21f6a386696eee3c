"""Batch actions of the managers' case list: cancel, suspend, resume or retry the incidents of many
cases, each case in its own transaction, worked in the background, with a report of what failed and why.

A preview resolves the cases (the ids chosen, or every case a list filter matches, in the list's
order). The pages keep a preview as a ``prepared`` run (``prepare_batch``: its ids are fixed in the
database, so a preview of 100,000 cases needs no form carrying them) and start exactly that run with
a reason (``start_prepared_batch``); the API starts a run from ids or a filter in one step
(``start_batch``, ``start_matching_batch``). Starting records the run and its cases, all pending,
in one transaction and returns at once: the batch worker (``batch_work``, in the scheduler process)
then runs the one-case commands one by one, each in its own transaction, and writes each outcome,
so the report (``get_batch``) shows the progress of a run still going and stays readable for
``KEEP_DAYS``. A case that changed in between fails on its own (the command says why) and the
others go on. ``stop_batch`` ends a run early: the cases not yet under way are skipped. The reports
are a table, not recomputed from the audit trail, because a refused case leaves no event behind and
the report must say why it was refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from ..errors import Conflict, InvalidData, NotFound
from ..store import batches as stored
from ..store import instance_search as stored_search
from ..store.db import AnyRow
from . import permissions
from .batch_inputs import ACTIONS as ACTIONS  # re-exported: the pages and the API read them here
from .batch_inputs import OUTCOMES as OUTCOMES
from .batch_inputs import BatchAction, Outcome, check_size, chosen
from .batch_inputs import check_action as _check_action
from .batch_inputs import check_batch_id as _check_batch_id
from .batch_inputs import check_outcome as _check_outcome
from .batch_inputs import check_reason as _check_reason
from .context import Actor, Services
from .instance_search import InstanceSearch
from .paging import check_paging

BatchStatus = Literal["prepared", "running", "finished", "stopped"]
# Cases per batch. A run's cases are written in one transaction when it is prepared or started
# (100,000 take a few seconds and some tens of MB while the ids are resolved); the worker then
# needs nothing in memory but the case it works on.
MAX_BATCH = 100_000
PREVIEW_ROWS = 20  # cases a preview lists by name
RESOLVE_CHUNK = 20_000  # cases of a filter read at once (bounded memory, few statements)
ITEMS_PER_PAGE = 50  # cases a report lists at once unless asked for more (at most 200)
KEEP_DAYS = 30  # an ended run's report is kept this long; older ones go when a new batch is prepared
PREPARED_HOURS = 24  # a preview not started within this time can no longer be started


@dataclass(frozen=True)
class BatchCase:
    id: int
    business_key: str
    process_key: str
    version: int
    status: str


@dataclass(frozen=True)
class BatchPreview:
    """What a run would act on: ``instance_ids`` (all of them), the first ``PREVIEW_ROWS`` by name.

    ``batch_id`` is the prepared run that holds these ids (the pages' previews; None for the API's
    dry run, which stores nothing).
    """

    action: BatchAction
    total: int
    instance_ids: list[int]
    first: list[BatchCase]
    filter: dict[str, str] | None  # the list's parameters the cases came from (None: chosen by hand)
    batch_id: int | None = None


@dataclass(frozen=True)
class BatchItemResult:
    instance_id: int
    business_key: str | None
    outcome: Outcome
    message: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class BatchReport:
    """A run and how far it got; ``items`` is one page (``page``, ``per_page``) of its cases, those
    of ``items_outcome`` only when one was asked for, of ``items_total`` such cases."""

    id: int
    action: BatchAction
    status: BatchStatus
    reason: str
    actor: str
    filter: dict[str, str] | None
    created_at: datetime
    finished_at: datetime | None
    stopped_at: datetime | None
    stopped_by: str | None
    target_version: int | None  # a migration: the version its cases move to
    total: int
    succeeded: int
    failed: int
    skipped: int
    pending: int
    items: list[BatchItemResult]
    items_outcome: Outcome | None
    items_total: int
    page: int
    per_page: int


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
    cases, first = _resolve(services, instance_ids, search)
    ids = [case_id for case_id, _key in cases]
    return BatchPreview(checked, len(ids), ids, first, search.params() if search is not None else None)


def prepare_batch(
    services: Services,
    actor: Actor,
    action: str,
    instance_ids: Sequence[int] | None = None,
    search: InstanceSearch | None = None,
) -> BatchPreview:
    """A preview kept as a prepared run of ``actor``'s: the exact cases, started later with a reason."""
    permissions.require_may_manage_instances(actor)
    checked = _check_action(action)
    cases, first = _resolve(services, instance_ids, search)
    params = search.params() if search is not None else None
    with services.clock.pinned() as now, services.uow() as uow:
        _forget_old(uow.batches, now)
        query = urlencode(params) if params is not None else None
        batch_id = uow.batches.create(checked, "", actor.name, actor.role, query, cases, now, "prepared")
        uow.commit()
    ids = [case_id for case_id, _key in cases]
    return BatchPreview(checked, len(ids), ids, first, params, batch_id)


def get_prepared_batch(services: Services, batch_id: int, actor: Actor) -> BatchPreview:
    """The preview a prepared run holds (NotFound unless it is ``actor``'s and still prepared)."""
    permissions.require_may_manage_instances(actor)
    run = _prepared(services, batch_id, actor)
    with services.database.reading() as connection:
        ids = stored.batch_instance_ids(connection, batch_id)
        found = stored.instance_keys(connection, ids[:PREVIEW_ROWS])
    first = [_case(found[i]) for i in ids[:PREVIEW_ROWS] if i in found]
    return BatchPreview(run.action, len(ids), ids, first, _parsed_query(run.filter_query), batch_id)


def start_prepared_batch(services: Services, actor: Actor, batch_id: int, reason: str) -> BatchReport:
    """Start a prepared run with ``reason``: its cases are worked in the background from now on."""
    permissions.require_may_manage_instances(actor)
    _check_reason(reason)
    _prepared(services, batch_id, actor)
    with services.clock.pinned() as now, services.uow() as uow:
        if not uow.batches.start_prepared(batch_id, actor.name, reason.strip(), now):
            raise Conflict(f"batch {batch_id} was started already")
        uow.commit()
    return get_batch(services, batch_id, actor)


def start_batch(
    services: Services,
    actor: Actor,
    action: str,
    instance_ids: Sequence[int],
    reason: str,
    filter_params: Mapping[str, str] | None = None,
) -> BatchReport:
    """Start a run on ``instance_ids``: recorded with every case pending, worked in the background.

    An unknown id is kept (its case fails when the worker reaches it, saying so).
    """
    permissions.require_may_manage_instances(actor)
    checked = _check_action(action)
    _check_reason(reason)
    ids = _chosen(instance_ids)
    if not ids:
        problem = {"field": "instance_ids", "message": "choose at least one case"}
        raise InvalidData("no case chosen", [problem])
    with services.database.reading() as connection:  # not in the write transaction: no lock held
        keys = stored.instance_keys(connection, ids)
    cases = [(i, keys[i].business_key if i in keys else None) for i in ids]
    return start_run(services, actor, checked, cases, reason, filter_params)


def start_matching_batch(
    services: Services, actor: Actor, action: str, search: InstanceSearch, reason: str
) -> BatchReport:
    """Every case ``search`` matches now (at most ``MAX_BATCH``), started as ``start_batch`` does."""
    permissions.require_may_manage_instances(actor)
    _check_reason(reason)  # before the filter is resolved: a refusal looks nothing up
    checked = _check_action(action)
    cases, _first = _resolve(services, None, search)
    return start_run(services, actor, checked, cases, reason, search.params())


def start_run(
    services: Services,
    actor: Actor,
    action: BatchAction,
    cases: Sequence[tuple[int, str | None]],
    reason: str,
    filter_params: Mapping[str, str] | None,
    target_version: int | None = None,
) -> BatchReport:
    """Record the run and its cases, all pending, in one transaction; the worker does the rest."""
    query = urlencode(dict(filter_params)) if filter_params is not None else None
    with services.clock.pinned() as now, services.uow() as uow:
        _forget_old(uow.batches, now)
        batch_id = uow.batches.create(
            action, reason.strip(), actor.name, actor.role, query, cases, now, "running", target_version
        )
        uow.commit()
    return get_batch(services, batch_id, actor)


def stop_batch(services: Services, batch_id: int, actor: Actor) -> BatchReport:
    """Stop a running run: the cases not yet under way are skipped; those under way finish."""
    permissions.require_may_manage_instances(actor)
    _check_batch_id(batch_id)
    with services.clock.pinned() as now, services.uow() as uow:
        message = f"skipped: {actor.name} stopped the run before this case"
        if uow.batches.stop(batch_id, actor.name, message, now) is None:
            run = uow.batches.lock(batch_id)
            if run is None or run.status == "prepared":
                raise NotFound(f"batch {batch_id} not found")
            raise Conflict(f"batch {batch_id} is {run.status}, not running")
        uow.commit()
    return get_batch(services, batch_id, actor)


def get_batch(
    services: Services,
    batch_id: int,
    actor: Actor,
    outcome: str | None = None,
    page: int = 1,
    per_page: int = ITEMS_PER_PAGE,
) -> BatchReport:
    """A run's report: its counts, and one page of its cases (of one ``outcome`` if given).

    Managers read every run; analysts the migrations (which they start).
    """
    if not permissions.may_monitor(actor):
        permissions.require_may_deploy(actor)
    _check_batch_id(batch_id)
    check_paging(page, per_page)
    shown = _check_outcome(outcome)
    with services.database.reading() as connection:
        run = stored.batch(connection, batch_id)
        if run is not None and run.action != "migrate":
            permissions.require_may_monitor(actor)
        if run is None:
            raise NotFound(f"batch {batch_id} not found (reports are kept {KEEP_DAYS} days)")
        counts = stored.outcome_counts(connection, batch_id)
        rows = stored.batch_items(connection, batch_id, shown, (page - 1) * per_page, per_page)
    items = [BatchItemResult(r.instance_id, r.business_key, r.outcome, r.message, r.done_at) for r in rows]
    return BatchReport(
        id=run.id,
        action=run.action,
        status=run.status,
        reason=run.reason,
        actor=run.actor,
        filter=_parsed_query(run.filter_query),
        created_at=run.created_at,
        finished_at=run.finished_at,
        stopped_at=run.stopped_at,
        stopped_by=run.stopped_by,
        target_version=run.target_version,
        total=run.total,
        succeeded=counts.get("ok", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        pending=counts.get("pending", 0),
        items=items,
        items_outcome=shown,
        items_total=counts.get(shown, 0) if shown is not None else run.total,
        page=page,
        per_page=per_page,
    )


Cases = list[tuple[int, str | None]]  # (id, business key) of each case of a run, in order


def _resolve(
    services: Services, instance_ids: Sequence[int] | None, search: InstanceSearch | None
) -> tuple[Cases, list[BatchCase]]:
    """The cases chosen by hand or matching ``search`` now, in order, and the first ``PREVIEW_ROWS``
    of them by name; refused when none or too many."""
    if (instance_ids is None) == (search is None):
        raise InvalidData(
            "choose the cases",
            [{"field": "instance_ids", "message": "give either instance_ids or a filter, not both"}],
        )
    if search is not None:
        cases, first = _matching(services, search)
    else:
        ids = _chosen(instance_ids or [])
        with services.database.reading() as connection:
            found = stored.instance_keys(connection, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing[:10])
            problem = {"field": "instance_ids", "message": f"no case {shown}"}
            raise InvalidData("unknown cases", [problem])
        cases = [(i, found[i].business_key) for i in ids]
        first = [_case(found[i]) for i in ids[:PREVIEW_ROWS]]
    if not cases:
        problem = {"field": "instance_ids", "message": "choose at least one case (no case matches)"}
        raise InvalidData("no case chosen", [problem])
    return cases, first


def _matching(services: Services, search: InstanceSearch) -> tuple[Cases, list[BatchCase]]:
    """Every case ``search`` matches, read in chunks of the list's order (only ids and keys kept)."""
    where = search.where(services.clock.now(), services.settings.business_tz)
    order = search.order()
    cases: Cases = []
    first: list[BatchCase] = []
    seen: set[int] = set()  # a case that moved in the order between two chunks is taken once
    after: tuple[Any, int] | None = None
    while True:
        with services.database.reading() as connection:
            rows = stored_search.instance_chunk(connection, where, order, after, RESOLVE_CHUNK)
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                cases.append((row.id, row.business_key))
                if len(first) < PREVIEW_ROWS:
                    first.append(_case(row))
        _check_size(len(cases))
        if len(rows) < RESOLVE_CHUNK:
            return cases, first
        after = (rows[-1].sort_value, rows[-1].id)


def _prepared(services: Services, batch_id: int, actor: Actor) -> AnyRow:
    _check_batch_id(batch_id)
    with services.database.reading() as connection:
        run = stored.batch(connection, batch_id)
    if run is None or run.actor != actor.name:
        raise NotFound(f"batch {batch_id} not found")
    if run.status != "prepared":
        raise Conflict(f"batch {batch_id} was started already")
    if run.created_at < services.clock.now() - timedelta(hours=PREPARED_HOURS):
        raise Conflict(f"the preview of batch {batch_id} is older than {PREPARED_HOURS} hours: preview again")
    return run


def _forget_old(batches: stored.BatchRepository, now: datetime) -> None:
    batches.remove_before(now - timedelta(days=KEEP_DAYS), now - timedelta(hours=PREPARED_HOURS))


def _check_size(count: int) -> None:
    check_size(count, MAX_BATCH)


def _chosen(instance_ids: Sequence[int]) -> list[int]:
    return chosen(instance_ids, MAX_BATCH)


def _case(row: AnyRow) -> BatchCase:
    return BatchCase(row.id, row.business_key, row.process_key, row.version, row.status)


def _parsed_query(query: str | None) -> dict[str, str] | None:
    if query is None:
        return None
    return dict(parse_qsl(query, keep_blank_values=True))
