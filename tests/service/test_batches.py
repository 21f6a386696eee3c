"""Batch actions (issue 11 item 5): each case in its own transaction, the preview's exact ids, the cap,
the reason in every case's audit trail, retrying incidents, who may do it. Starting a run records it;
the batch worker (``work_on_batches``, drained here in the test's thread) acts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData
from rma_orchestrator.service import batches
from rma_orchestrator.service.batch_work import work_on_batches
from rma_orchestrator.service.batches import (
    BatchReport,
    get_batch,
    preview_batch,
    start_batch,
    start_matching_batch,
)
from rma_orchestrator.service.calendar import confirm_year
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instance_search import InstanceSearch
from rma_orchestrator.service.instances import (
    cancel_instance,
    get_instance,
    list_events,
    start_instance,
    suspend_instance,
)
from rma_orchestrator.service.results import InstanceInfo

Start = Callable[..., InstanceInfo]
DIVIDE = Path(__file__).parents[1] / "data" / "incident" / "divide.bpmn"


def status(services: Services, instance_id: int) -> str:
    return get_instance(services, instance_id, MANAGER).status


def reasons(services: Services, instance_id: int, kind: str) -> list[object]:
    return [
        e.details.get("reason") for e in list_events(services, instance_id, MANAGER).items if e.kind == kind
    ]


def run_batch(
    services: Services,
    actor: Actor,
    action: str,
    ids: list[int],
    reason: str,
    filter_params: dict[str, str] | None = None,
) -> BatchReport:
    """Start a run and let the worker drain it: the report once every case has its outcome."""
    started = start_batch(services, actor, action, ids, reason, filter_params)
    assert started.status == "running" and started.pending == started.total  # nothing done yet
    work_on_batches(services)
    return get_batch(services, started.id, ADMIN)


def run_matching_batch(
    services: Services, actor: Actor, action: str, search: InstanceSearch, reason: str
) -> BatchReport:
    started = start_matching_batch(services, actor, action, search, reason)
    work_on_batches(services)
    return get_batch(services, started.id, ADMIN)


def test_one_failing_case_does_not_undo_the_others(deployed: Services, start_order: Start) -> None:
    first, ended, last = start_order(), start_order(), start_order()
    cancel_instance(deployed, ended.id, MANAGER)

    report = run_batch(deployed, MANAGER, "cancel", [first.id, ended.id, last.id], "customer withdrew")

    assert (report.total, report.succeeded, report.failed, report.pending) == (3, 2, 1, 0)
    outcomes = {item.instance_id: (item.outcome, item.message) for item in report.items}
    assert outcomes[first.id] == ("ok", None) and outcomes[last.id] == ("ok", None)
    outcome, message = outcomes[ended.id]
    assert outcome == "failed" and message is not None
    assert message.startswith("Conflict:") and "already ended" in message
    assert [status(deployed, i) for i in (first.id, ended.id, last.id)] == ["cancelled"] * 3
    # the reason is in the audit trail of each case the batch cancelled, not of the one cancelled before
    assert reasons(deployed, first.id, "instance_cancelled") == ["customer withdrew"]
    assert reasons(deployed, last.id, "instance_cancelled") == ["customer withdrew"]
    assert reasons(deployed, ended.id, "instance_cancelled") == [None]
    assert report.finished_at is not None and report.reason == "customer withdrew"
    assert [item.business_key for item in report.items] == [
        first.business_key,
        ended.business_key,
        last.business_key,
    ]


def test_the_report_stays_readable(deployed: Services, start_order: Start) -> None:
    case = start_order()
    report = run_batch(deployed, MANAGER, "suspend", [case.id], "waiting for the courier")
    again = get_batch(deployed, report.id, ADMIN)
    assert again == report and again.action == "suspend" and again.filter is None
    assert status(deployed, case.id) == "suspended"
    resumed = run_batch(deployed, MANAGER, "resume", [case.id], "courier came")
    assert resumed.succeeded == 1 and resumed.id != report.id
    assert status(deployed, case.id) == "running"
    assert reasons(deployed, case.id, "instance_suspended") == ["waiting for the courier"]
    assert reasons(deployed, case.id, "instance_resumed") == ["courier came"]


def test_the_preview_resolves_exactly_the_matching_cases(deployed: Services, start_order: Start) -> None:
    running = [start_order() for _ in range(3)]
    suspended = [start_order() for _ in range(2)]
    for case in suspended:
        suspend_instance(deployed, case.id, MANAGER)

    search = InstanceSearch(status="suspended", sort="started")
    preview = preview_batch(deployed, MANAGER, "resume", search=search)
    assert preview.instance_ids == [case.id for case in suspended]
    assert preview.total == 2 and [c.id for c in preview.first] == preview.instance_ids
    assert preview.filter == {"status": "suspended", "sort": "started"}

    # a case that matches only after the preview is left alone; one that changed meanwhile fails with why
    late = start_order()
    suspend_instance(deployed, late.id, MANAGER)
    cancel_instance(deployed, suspended[0].id, MANAGER)
    report = run_batch(deployed, MANAGER, "resume", preview.instance_ids, "back in stock", preview.filter)
    assert [i.instance_id for i in report.items] == [c.id for c in suspended]
    assert [i.outcome for i in report.items] == ["failed", "ok"]
    assert "cancelled, not suspended" in (report.items[0].message or "")
    assert status(deployed, late.id) == "suspended" and status(deployed, suspended[1].id) == "running"
    assert report.filter == {"status": "suspended", "sort": "started"}
    assert {status(deployed, c.id) for c in running} == {"running"}


def test_the_preview_of_chosen_ids_names_them_once_in_order(deployed: Services, start_order: Start) -> None:
    a, b = start_order(), start_order()
    preview = preview_batch(deployed, MANAGER, "cancel", instance_ids=[b.id, a.id, b.id])
    assert preview.instance_ids == [b.id, a.id] and preview.filter is None
    assert [(c.business_key, c.status) for c in preview.first] == [
        (b.business_key, "running"),
        (a.business_key, "running"),
    ]
    with pytest.raises(InvalidData) as unknown:
        preview_batch(deployed, MANAGER, "cancel", instance_ids=[a.id, 987654])
    assert "987654" in unknown.value.items[0]["message"]
    assert status(deployed, a.id) == "running"  # a preview changes nothing


def test_a_batch_is_capped(deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidData) as refused:
        run_batch(deployed, MANAGER, "cancel", list(range(1, batches.MAX_BATCH + 2)), "too many")
    assert (
        refused.value.message == "too many cases"
        and "at most 100,000 cases" in refused.value.items[0]["message"]
    )

    cases = [start_order() for _ in range(3)]
    monkeypatch.setattr(batches, "MAX_BATCH", 2)
    with pytest.raises(InvalidData) as matched:
        preview_batch(deployed, MANAGER, "cancel", search=InstanceSearch(status="running"))
    assert matched.value.message == "too many cases"
    assert (
        preview_batch(
            deployed, MANAGER, "cancel", search=InstanceSearch(status="running", q=cases[0].business_key)
        ).total
        == 1
    )
    assert {status(deployed, c.id) for c in cases} == {"running"}


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501])
def test_a_run_needs_a_reason_and_changes_nothing_without_one(
    deployed: Services, start_order: Start, reason: str | None
) -> None:
    case = start_order()
    with pytest.raises(InvalidData) as refused:
        run_batch(deployed, MANAGER, "cancel", [case.id], reason)  # type: ignore[arg-type]
    assert refused.value.items[0]["field"] == "reason"
    assert status(deployed, case.id) == "running"
    with deployed.database.reading() as connection:
        from rma_orchestrator.store import batches as stored

        assert stored.batch(connection, 1) is None


def test_bad_actions_and_empty_choices_are_refused(deployed: Services, start_order: Start) -> None:
    case = start_order()
    for action in ("delete", "", "Cancel"):
        with pytest.raises(InvalidData) as refused:
            preview_batch(deployed, MANAGER, action, instance_ids=[case.id])
        assert refused.value.items[0]["field"] == "action"
    with pytest.raises(InvalidData, match="no case chosen"):
        preview_batch(deployed, MANAGER, "cancel", instance_ids=[])
    with pytest.raises(InvalidData, match="no case chosen"):
        preview_batch(deployed, MANAGER, "cancel", search=InstanceSearch(q="no such case anywhere"))
    with pytest.raises(InvalidData, match="no case chosen"):
        run_batch(deployed, MANAGER, "cancel", [], "why")
    with pytest.raises(InvalidData, match="choose the cases"):
        preview_batch(deployed, MANAGER, "cancel", instance_ids=[case.id], search=InstanceSearch())


@pytest.mark.parametrize("who", [AGENT, ANALYST])
def test_only_managers_and_admins_run_batches(deployed: Services, start_order: Start, who: object) -> None:
    case = start_order()
    with pytest.raises(Forbidden):
        preview_batch(deployed, who, "cancel", instance_ids=[case.id])  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        run_batch(deployed, who, "cancel", [case.id], "no")  # type: ignore[arg-type]
    report = run_batch(deployed, ADMIN, "cancel", [case.id], "admin may")
    with pytest.raises(Forbidden):
        get_batch(deployed, report.id, who)  # type: ignore[arg-type]
    assert report.succeeded == 1


def test_retry_incidents_retries_each_open_incident_without_changing_data(services: Services) -> None:
    """A step that needs 2027's calendar fails until 2027 is confirmed; the batch then retries it."""
    source = DIVIDE.read_bytes().replace(b"share = total / parts", b"share = is_working_day('2027-01-04')")
    deploy(services, {"divide.bpmn": source}, ANALYST)
    stuck = [start_instance(services, "divide", {"total": 1, "parts": 1}, AGENT) for _ in range(2)]
    assert [case.status for case in stuck] == ["error", "error"]

    early = run_batch(services, MANAGER, "retry_incidents", [stuck[0].id], "calendar still missing")
    assert early.failed == 1 and "failed again" in (early.items[0].message or "")

    confirm_year(services, 2027, ADMIN)
    plain = start_instance(services, "divide", {"total": 1, "parts": 1}, AGENT)  # no incident to retry
    report = run_batch(
        services, MANAGER, "retry_incidents", [stuck[0].id, plain.id, stuck[1].id], "2027 entered"
    )
    assert [(i.outcome, i.message) for i in report.items][0::2] == [("ok", None), ("ok", None)]
    assert report.items[1].outcome == "failed" and "no open incident" in (report.items[1].message or "")
    for case in stuck:
        done = get_instance(services, case.id, MANAGER)
        assert done.status == "completed" and done.data["share"] is True and done.data["parts"] == 1
    assert reasons(services, stuck[0].id, "incident_resolved") == ["calendar still missing", "2027 entered"]
    assert reasons(services, stuck[1].id, "incident_resolved") == ["2027 entered"]


def test_a_run_over_a_filter_checks_the_reason_before_looking_anything_up(
    deployed: Services, start_order: Start
) -> None:
    cases = [start_order() for _ in range(2)]
    with pytest.raises(InvalidData) as refused:
        run_matching_batch(deployed, MANAGER, "cancel", InstanceSearch(status="sleeping"), " ")
    assert refused.value.items[0]["field"] == "reason"
    with pytest.raises(Forbidden):
        run_matching_batch(deployed, AGENT, "cancel", InstanceSearch(), "why")
    report = run_matching_batch(deployed, MANAGER, "suspend", InstanceSearch(q=cases[1].business_key), "hold")
    assert [i.instance_id for i in report.items] == [cases[1].id] and report.filter == {
        "q": cases[1].business_key
    }
    assert [status(deployed, c.id) for c in cases] == ["running", "suspended"]


def test_a_filter_is_read_in_chunks_in_the_list_order(
    deployed: Services, start_order: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [start_order() for _ in range(5)]
    monkeypatch.setattr(batches, "RESOLVE_CHUNK", 2)
    preview = preview_batch(
        deployed, MANAGER, "suspend", search=InstanceSearch(status="running", sort="started")
    )
    assert preview.instance_ids == [c.id for c in cases] and preview.total == 5
    assert [c.business_key for c in preview.first] == [c.business_key for c in cases]
    monkeypatch.setattr(batches, "MAX_BATCH", 4)
    with pytest.raises(InvalidData, match="too many cases"):
        preview_batch(deployed, MANAGER, "suspend", search=InstanceSearch(status="running"))
