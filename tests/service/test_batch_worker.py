"""Batch runs in the background (issue 11 item 5): starting a run acts on nothing; the batch worker
drains it one case per transaction; a small run is not stuck behind a large one; a preview is never
worked; a stopped run does nothing more (the case under way finishes); a run cut off by a restart
goes on without acting twice on a case; two workers never take the same case.

Workers are named here ("a:1", "b:2") as two processes would be. A test waits only for a lease to
run out, by the wall clock; nothing asserts how fast anything is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.errors import Conflict, Forbidden, InvalidData, NotFound
from rma_orchestrator.service.batch_work import DONE_BEFORE, claim_batch_case, work_on_batches, work_on_case
from rma_orchestrator.service.batches import (
    get_batch,
    prepare_batch,
    start_batch,
    start_prepared_batch,
    stop_batch,
)
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.instances import (
    cancel_instance,
    get_instance,
    list_events,
    resume_instance,
    suspend_instance,
)
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.store import batches as stored

Start = Callable[..., InstanceInfo]
SHORT = timedelta(seconds=1)


def statuses(services: Services, cases: list[InstanceInfo]) -> list[str]:
    return [get_instance(services, case.id, MANAGER).status for case in cases]


def batch_events(services: Services, instance_id: int, kind: str) -> list[Any]:
    """The ``batch_id`` of each ``kind`` event of the case (None for an action outside any batch)."""
    events = list_events(services, instance_id, MANAGER).items
    return [event.details.get("batch_id") for event in events if event.kind == kind]


def items(services: Services, batch_id: int) -> list[Any]:
    with services.database.reading() as connection:
        return stored.batch_items(connection, batch_id)


def _sleep_past(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


def test_starting_acts_on_nothing_and_the_worker_drains_the_run(
    deployed: Services, start_order: Start
) -> None:
    cases = [start_order() for _ in range(3)]
    started = start_batch(deployed, MANAGER, "suspend", [c.id for c in cases], "stock count")
    assert (started.status, started.total, started.pending, started.succeeded) == ("running", 3, 3, 0)
    assert started.finished_at is None and [i.outcome for i in started.items] == ["pending"] * 3
    assert statuses(deployed, cases) == ["running"] * 3
    assert batch_events(deployed, cases[0].id, "instance_suspended") == []

    assert work_on_batches(deployed, limit=1) == 1
    middle = get_batch(deployed, started.id, ADMIN)
    assert (middle.status, middle.succeeded, middle.pending) == ("running", 1, 2)
    assert statuses(deployed, cases) == ["suspended", "running", "running"]

    assert work_on_batches(deployed) == 2
    done = get_batch(deployed, started.id, ADMIN)
    assert (done.status, done.succeeded, done.failed, done.pending) == ("finished", 3, 0, 0)
    assert done.finished_at is not None
    assert statuses(deployed, cases) == ["suspended"] * 3
    for case in cases:  # each case's history names the run that acted on it
        assert batch_events(deployed, case.id, "instance_suspended") == [started.id]
    assert work_on_batches(deployed) == 0
    assert [item.attempts for item in items(deployed, started.id)] == [1, 1, 1]


def test_a_small_run_is_not_stuck_behind_a_large_one(deployed: Services, start_order: Start) -> None:
    large = start_batch(deployed, MANAGER, "suspend", [start_order().id for _ in range(5)], "large")
    small = start_batch(deployed, MANAGER, "suspend", [start_order().id], "small")
    assert work_on_batches(deployed, limit=2) == 2  # one case of each, in turn
    assert get_batch(deployed, small.id, ADMIN).status == "finished"
    assert get_batch(deployed, large.id, ADMIN).pending == 4
    assert work_on_batches(deployed) == 4
    assert get_batch(deployed, large.id, ADMIN).status == "finished"


def test_a_preview_is_worked_only_once_its_owner_starts_it(deployed: Services, start_order: Start) -> None:
    cases = [start_order() for _ in range(2)]
    preview = prepare_batch(deployed, MANAGER, "cancel", instance_ids=[c.id for c in cases])
    assert preview.batch_id is not None and preview.total == 2
    assert get_batch(deployed, preview.batch_id, ADMIN).status == "prepared"
    assert work_on_batches(deployed) == 0
    with pytest.raises(NotFound):  # another manager's preview
        start_prepared_batch(deployed, Actor("max", "manager"), preview.batch_id, "mine now")
    with pytest.raises(InvalidData):
        start_prepared_batch(deployed, MANAGER, preview.batch_id, "  ")
    assert get_batch(deployed, preview.batch_id, ADMIN).status == "prepared"
    assert statuses(deployed, cases) == ["running", "running"]

    started = start_prepared_batch(deployed, MANAGER, preview.batch_id, "duplicates")
    assert (started.status, started.reason, started.pending) == ("running", "duplicates", 2)
    with pytest.raises(Conflict):
        start_prepared_batch(deployed, MANAGER, preview.batch_id, "twice")
    assert work_on_batches(deployed) == 2
    assert statuses(deployed, cases) == ["cancelled", "cancelled"]


def test_refused_previews_and_starts_record_no_run(deployed: Services, start_order: Start) -> None:
    case = start_order()
    refusals: list[Callable[[], object]] = [
        lambda: prepare_batch(deployed, MANAGER, "delete", instance_ids=[case.id]),
        lambda: prepare_batch(deployed, MANAGER, "cancel", instance_ids=[]),
        lambda: prepare_batch(deployed, MANAGER, "cancel", instance_ids=[case.id, 987654]),
        lambda: prepare_batch(deployed, AGENT, "cancel", instance_ids=[case.id]),
        lambda: start_batch(deployed, MANAGER, "cancel", [case.id], " "),
        lambda: start_batch(deployed, MANAGER, "explode", [case.id], "why"),
        lambda: start_batch(deployed, MANAGER, "cancel", [], "why"),
        lambda: start_batch(deployed, AGENT, "cancel", [case.id], "why"),
    ]
    for refusal in refusals:
        with pytest.raises((InvalidData, Forbidden)):
            refusal()
    with deployed.uow() as uow:
        assert uow.batches.count() == 0
    assert work_on_batches(deployed) == 0
    assert statuses(deployed, [case]) == ["running"]


def test_a_stopped_run_does_nothing_more(deployed: Services, start_order: Start) -> None:
    cases = [start_order() for _ in range(4)]
    started = start_batch(deployed, MANAGER, "cancel", [c.id for c in cases], "closing the season")
    assert work_on_batches(deployed, limit=1) == 1
    with pytest.raises(Forbidden):
        stop_batch(deployed, started.id, AGENT)

    stopped = stop_batch(deployed, started.id, ADMIN)
    assert (stopped.status, stopped.succeeded, stopped.skipped, stopped.pending) == ("stopped", 1, 3, 0)
    assert stopped.stopped_by == ADMIN.name and stopped.finished_at is not None
    assert [i.outcome for i in stopped.items] == ["ok", "skipped", "skipped", "skipped"]
    assert "stopped the run" in (stopped.items[1].message or "")
    assert work_on_batches(deployed) == 0
    assert statuses(deployed, cases) == ["cancelled", "running", "running", "running"]
    with pytest.raises(Conflict):
        stop_batch(deployed, started.id, MANAGER)
    with pytest.raises(NotFound):
        stop_batch(deployed, started.id + 1, MANAGER)


def test_the_case_under_way_when_a_run_is_stopped_finishes(deployed: Services, start_order: Start) -> None:
    cases = [start_order() for _ in range(3)]
    started = start_batch(deployed, MANAGER, "suspend", [c.id for c in cases], "hold")
    case = claim_batch_case(deployed, started.id, "a:1")
    assert case is not None and case.instance_id == cases[0].id

    stopped = stop_batch(deployed, started.id, MANAGER)
    assert (stopped.status, stopped.skipped, stopped.pending) == ("stopped", 2, 1)
    assert stopped.finished_at is None  # the case under way has no outcome yet
    assert work_on_batches(deployed, worker="b:2") == 0  # it is a:1's
    assert work_on_case(deployed, case, "a:1")
    done = get_batch(deployed, started.id, ADMIN)
    assert (done.status, done.succeeded, done.skipped, done.pending) == ("stopped", 1, 2, 0)
    assert done.finished_at is not None
    assert statuses(deployed, cases) == ["suspended", "running", "running"]


def test_a_run_cut_off_by_a_restart_goes_on_and_acts_on_no_case_twice(
    deployed: Services, start_order: Start
) -> None:
    cases = [start_order() for _ in range(4)]
    started = start_batch(deployed, MANAGER, "suspend", [c.id for c in cases], "stock count")
    # worker a:1 took the first case and suspended it, then died before writing the outcome ...
    first = claim_batch_case(deployed, started.id, "a:1", lease=SHORT)
    assert first is not None
    suspend_instance(deployed, first.instance_id, MANAGER, "stock count", batch_id=started.id)
    resume_instance(deployed, first.instance_id, MANAGER)  # ... someone resumed it since: no second suspend
    # ... and it had taken the second case too, and died before acting on it
    second = claim_batch_case(deployed, started.id, "a:1", lease=SHORT)
    assert second is not None and second.instance_id == cases[1].id
    assert work_on_batches(deployed, worker="b:2", limit=2) == 2  # the cases nobody holds go on at once
    _sleep_past(max(row.lease_until for row in items(deployed, started.id) if row.lease_until))

    restarted = bootstrap(deployed.settings)  # a new process after the restart
    try:
        assert work_on_batches(restarted, worker="c:3") == 2
    finally:
        restarted.database.dispose()
    report = get_batch(deployed, started.id, ADMIN)
    assert (report.status, report.succeeded, report.pending) == ("finished", 4, 0)
    assert [(i.outcome, i.message) for i in report.items[:2]] == [("ok", DONE_BEFORE), ("ok", None)]
    assert statuses(deployed, cases) == ["running", "suspended", "suspended", "suspended"]
    assert [batch_events(deployed, c.id, "instance_suspended") for c in cases] == [[started.id]] * 4
    assert [item.attempts for item in items(deployed, started.id)] == [2, 2, 1, 1]


def test_a_case_claimed_when_its_run_was_stopped_is_settled_from_its_history(
    deployed: Services, start_order: Start
) -> None:
    cases = [start_order() for _ in range(2)]
    started = start_batch(deployed, MANAGER, "cancel", [c.id for c in cases], "withdrawn")
    taken = [claim_batch_case(deployed, started.id, "a:1", lease=SHORT) for _ in cases]
    assert all(case is not None for case in taken)
    cancel_instance(deployed, cases[0].id, MANAGER, "withdrawn", batch_id=started.id)  # then a:1 died
    stopped = stop_batch(deployed, started.id, MANAGER)
    assert (stopped.pending, stopped.finished_at) == (2, None)
    _sleep_past(max(row.lease_until for row in items(deployed, started.id) if row.lease_until))
    assert work_on_batches(deployed, worker="b:2") == 2
    report = get_batch(deployed, started.id, ADMIN)
    assert [i.outcome for i in report.items] == ["ok", "skipped"] and report.finished_at is not None
    assert statuses(deployed, cases) == ["cancelled", "running"]


def test_two_workers_never_take_the_same_case(deployed: Services, start_order: Start) -> None:
    """Two workers, each with its own engine (as two processes), drain one run side by side."""
    cases = [start_order() for _ in range(24)]
    started = start_batch(deployed, MANAGER, "suspend", [c.id for c in cases], "two workers")
    others = [bootstrap(deployed.settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    counts: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(services: Services, name: str) -> None:
        try:
            barrier.wait()
            counts[name] = work_on_batches(services, worker=name)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s, f"w:{n}")) for n, s in enumerate(others)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for services in others:
            services.database.dispose()
    assert errors == []
    assert sum(counts.values()) == len(cases)
    report = get_batch(deployed, started.id, ADMIN, per_page=50)
    assert (report.status, report.succeeded, report.failed) == ("finished", len(cases), 0)
    assert [item.attempts for item in items(deployed, started.id)] == [1] * len(cases)  # each claimed once
    assert [batch_events(deployed, c.id, "instance_suspended") for c in cases] == [[started.id]] * len(cases)
