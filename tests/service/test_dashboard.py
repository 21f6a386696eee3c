"""The managers' dashboard figures (service/dashboard.py) on a small known set of real cases: the
rma_case procedure driven through its tasks, messages and the controlled clock, and repair and
satisfaction entries stored through the product test process (tests/data/products)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from products_support import add_records, deploy_product_case, repair, start_product_case
from rma_cases import case_data, deploy_rma
from sqlalchemy import select
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.dashboard import (
    Dashboard,
    DashboardPeriod,
    get_dashboard,
    parse_period,
    today_of,
)
from rma_orchestrator.service.instances import cancel_instance, get_instance, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store import dashboard_period
from rma_orchestrator.store.models import TABLES

HOUR = 3600.0


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    deploy_product_case(services)
    return services


def complete(services: Services, instance_id: int, element: str, data: dict[str, Any]) -> None:
    (task,) = [t for t in get_instance(services, instance_id, MANAGER).tasks if t.element_id == element]
    complete_task(services, task.id, data, MANAGER)


def review(services: Services, instance_id: int, approved: bool) -> None:
    method = "courier_pickup" if approved else "not_applicable"
    complete(
        services,
        instance_id,
        "review_case",
        {"eligible": approved, "approved": approved, "return_method": method},
    )


def refund(services: Services, instance_id: int, key: str) -> None:
    """The goods arrive, pass inspection and quality check, finance pays; the survey reply scores 5."""
    now = services.clock.now().isoformat()
    received = {"received_at": now, "received_by": "仓库 Warehouse", "parcel_condition": "intact"}
    deliver_message(services, "goods_received", key, received, AGENT)
    inspection = {
        "state": "intact",
        "quantity_ok": True,
        "packaging_complete": True,
        "accessories_complete": True,
        "unused": True,
        "gifts_returned": True,
        "photos": ["ATT-1"],
    }
    complete(services, instance_id, "inspect_goods", inspection)
    complete(services, instance_id, "quality_check", {"cause": "production_defect", "confirmed": True})
    complete(
        services, instance_id, "pay_refund", {"paid": True, "payment_reference": "PAY-1", "paid_at": now}
    )


def satisfaction(score: int) -> dict[str, Any]:
    return {"type": "satisfaction", "score": score, "source": "phone_call", "reached": True}


def period(services: Services, **args: str) -> Dashboard:
    return get_dashboard(services, MANAGER, parse_period(args, today_of(services)))


def known_cases(services: Services) -> dict[str, int]:
    """Two returns answered after 2 h and 26 h (the second past its 24-hour SLA, then rejected), a
    refunded return with its survey, two repairs (fixed at once; fixed at the second attempt) and an
    exchange left waiting for its review past the deadline."""
    phone = {
        "sku": "PH-1",
        "name": "手机 Phone",
        "category": "electronics",
        "exclusion": "none",
        "price_paid": "999.00",
    }
    answered = start_instance(
        services, "rma_case", case_data(services, reason="no_reason", product=phone), AGENT
    )
    late = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    refunded = start_instance(
        services,
        "rma_case",
        case_data(
            services,
            reason="quality_on_receipt",
            received_days_ago=1,
            product={
                "sku": "KET-1",
                "name": "电水壶 Kettle",
                "category": "home_goods",
                "exclusion": "none",
                "price_paid": "199.00",
            },
        ),
        AGENT,
    )
    move_clock(services, ADMIN, add="PT2H")
    review(services, answered.id, True)
    review(services, refunded.id, True)
    refund(services, refunded.id, refunded.business_key)
    move_clock(services, ADMIN, add="PT24H")  # 26 h: the late one's first response is breached
    review(services, late.id, False)
    move_clock(services, ADMIN, add="P3DT1M")  # the refunded case's follow-up opens
    deliver_message(services, "survey_reply", refunded.business_key, {"score": 5, "comment": "好"}, AGENT)
    once = start_product_case(services, "SN-A")
    add_records(
        services,
        once,
        repair("SN-A", "2026-01-01", "2026-01-04", days=3, fixed=True),
        satisfaction(4),
        done=True,
    )
    twice = start_product_case(services, "SN-B")
    add_records(
        services,
        twice,
        repair("SN-B", "2026-01-01", "2026-01-03", days=2, fixed=False),
        repair("SN-B", "2026-01-03", "2026-01-08", days=5, fixed=True),
        done=True,
    )
    waiting = start_instance(
        services, "rma_case", case_data(services, kind="exchange", reason="wrong_item"), AGENT
    )
    move_clock(services, ADMIN, add="PT25H")
    return {"answered": answered.id, "late": late.id, "refunded": refunded.id, "waiting": waiting.id}


def test_every_figure_of_a_known_set_of_cases(rma: Services) -> None:
    cases = known_cases(rma)
    assert get_instance(rma, cases["refunded"], MANAGER).outcome == "end_refunded"
    board = period(rma, days="7")
    assert board.cases == 6
    assert {(o.kind, o.status): o.cases for o in board.open_by_kind} == {
        ("return", "running"): 1,
        ("exchange", "running"): 1,
    }
    steps = {s.element_id: s.cases for s in board.open_by_step}
    assert steps["review_case"] == 1  # the exchange
    overdue = {g.group: g.tasks for g in board.overdue_by_group}
    assert overdue["customer_service"] == 1
    first = {s.sla: s for s in board.sla}["first_response"]
    assert (first.breached, first.met, first.rate) == (2, 2, 0.5)  # the late return and the exchange
    assert board.first_response.count == 3
    assert board.first_response.median == pytest.approx(2 * HOUR, abs=1)
    assert board.first_response.p90 == pytest.approx(26 * HOUR, abs=1)
    assert board.resolution.count == 4  # rejected, refunded, two repairs
    assert board.resolution.p90 == pytest.approx(board_hours(rma, cases["refunded"]), abs=1)
    reasons = {r.key: (r.cases, r.refunded) for r in board.by_reason}
    assert reasons["quality_on_receipt"] == (1, 1)
    assert reasons["no_reason"] == (1, 0)
    assert reasons["wrong_item"] == (2, 0)
    assert reasons[None] == (2, 0)  # the product test cases name no reason
    categories = {r.key: (r.cases, r.refunded, r.rate) for r in board.by_category}
    assert categories["home_goods"] == (5, 1, pytest.approx(1 / 5))
    assert categories["electronics"] == (1, 0, 0)
    assert (board.repair_days.count, board.repair_days.median, board.repair_days.p90) == (3, 3, 5)
    assert board.repair_days_average == pytest.approx(3.33)
    assert (
        board.first_time_fix.repaired_cases,
        board.first_time_fix.first_time,
        board.first_time_fix.rate,
    ) == (
        2,
        1,
        0.5,
    )
    assert (board.csat.entries, board.csat.scored, board.csat.average) == (2, 2, 4.5)


def board_hours(services: Services, instance_id: int) -> float:
    detail = get_instance(services, instance_id, MANAGER)
    assert detail.ended_at is not None
    return (detail.ended_at - detail.started_at).total_seconds()


def test_a_period_without_cases_has_no_figures_but_still_the_open_ones(rma: Services) -> None:
    known_cases(rma)
    yesterday = today_of(rma) - timedelta(days=20)
    board = period(rma, **{"from": yesterday.isoformat(), "to": yesterday.isoformat()})
    assert board.period == DashboardPeriod(yesterday, yesterday, None)
    assert board.cases == 0 and board.sla == [] and board.by_reason == []
    assert (board.first_response.count, board.first_response.median) == (0, None)
    assert board.first_time_fix.rate is None and board.csat.average is None
    assert board.repair_days.count == 0
    assert sum(o.cases for o in board.open_by_kind) == 2  # what is open now does not depend on the period


def test_the_period_comes_from_the_url(services: Services) -> None:
    today = today_of(services)
    assert parse_period({}, today) == DashboardPeriod(today - timedelta(days=29), today, 30)
    assert parse_period({"days": "7"}, today).first_day == today - timedelta(days=6)
    assert parse_period({"days": "90"}, today).params() == {"days": "90"}
    chosen = parse_period({"from": "2026-11-01", "to": "2026-11-30"}, today)
    assert chosen.params() == {"from": "2026-11-01", "to": "2026-11-30"}
    assert chosen.list_params() == {"started_from": "2026-11-01", "started_to": "2026-11-30"}
    for bad, field in (
        ({"days": "8"}, "days"),
        ({"from": "2026-13-01", "to": "2026-12-01"}, "from"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"from": "2026-12-01"}, "to"),
    ):
        with pytest.raises(InvalidData) as refused:
            parse_period(bad, today)
        assert [item["field"] for item in refused.value.items] == [field]


def test_only_managers_read_the_dashboard(services: Services) -> None:
    with pytest.raises(Forbidden):
        get_dashboard(services, AGENT, parse_period({}, today_of(services)))


def rows_of(services: Services, table: str) -> list[Any]:
    with services.database.reading() as connection:
        return list(connection.execute(select(TABLES[table])))


def answered_at(services: Services) -> dict[int, datetime]:
    """Each case's first completed review_case or request_documents task, from the task rows."""
    first: dict[int, datetime] = {}
    for task in rows_of(services, "human_task"):
        if task.status == "completed" and task.element_id in ("review_case", "request_documents"):
            first[task.instance_id] = min(first.get(task.instance_id, task.completed_at), task.completed_at)
    return first


def test_each_case_keeps_its_figures_as_its_steps_set_them(rma: Services) -> None:
    cases = known_cases(rma)
    cancelled = start_instance(rma, "rma_case", case_data(rma, reason="wrong_item"), AGENT)
    cancel_instance(rma, cancelled.id, MANAGER)  # its review task is cancelled: no answer
    answered = answered_at(rma)
    instances = {row.id: row for row in rows_of(rma, "process_instance")}
    for row in instances.values():
        first = answered.get(row.id)
        assert row.first_response_seconds == ((first - row.started_at).total_seconds() if first else None), (
            row.business_key
        )
        ended = row.status == "completed"
        assert row.resolution_seconds == ((row.ended_at - row.started_at).total_seconds() if ended else None)
    assert instances[cases["answered"]].first_response_seconds == pytest.approx(2 * HOUR, abs=1)
    assert instances[cases["late"]].first_response_seconds == pytest.approx(26 * HOUR, abs=1)
    assert instances[cases["waiting"]].first_response_seconds is None
    assert instances[cancelled.id].first_response_seconds is None
    assert instances[cancelled.id].resolution_seconds is None
    assert instances[cases["refunded"]].resolution_seconds == board_hours(rma, cases["refunded"])
    timers, scores = rows_of(rma, "timer"), rows_of(rma, "satisfaction_score")
    assert timers and scores
    for row in (*timers, *scores):  # they carry their case's registration
        assert row.case_started_at == instances[row.instance_id].started_at


def nearest_rank(values: list[float]) -> tuple[float | None, float | None]:
    """Median and 90th percentile by nearest rank (the value at rank ⌈p·n⌉), in Python."""
    ordered, n = sorted(values), len(values)
    return (ordered[(n + 1) // 2 - 1], ordered[(9 * n + 9) // 10 - 1]) if ordered else (None, None)


@pytest.mark.parametrize("long_period", [False, True], ids=["short", "long"])
def test_the_figures_are_those_of_the_raw_rows(
    rma: Services, monkeypatch: pytest.MonkeyPatch, long_period: bool
) -> None:
    """Computed here from the instance, task, timer, repair and score rows; ``long``: read the way a
    period of many cases is (on SQLite each index in its own order)."""
    if long_period:
        monkeypatch.setattr(dashboard_period, "WALK_FROM", 1)
    known_cases(rma)
    cancelled = start_instance(rma, "rma_case", case_data(rma, reason="other"), AGENT)
    cancel_instance(rma, cancelled.id, MANAGER)
    board = period(rma, days="7")
    cases = {row.id: row for row in rows_of(rma, "process_instance") if row.kind is not None}
    answered = answered_at(rma)
    first = [(answered[i] - cases[i].started_at).total_seconds() for i in cases if i in answered]
    ended = [(c.ended_at - c.started_at).total_seconds() for c in cases.values() if c.status == "completed"]
    assert board.cases == len(cases)
    assert (board.first_response.count, board.first_response.median, board.first_response.p90) == (
        len(first),
        *nearest_rank(first),
    )
    assert (board.resolution.count, board.resolution.median, board.resolution.p90) == (
        len(ended),
        *nearest_rank(ended),
    )
    assert board.resolution.average == pytest.approx(sum(ended) / len(ended))
    for field, rates in (("reason", board.by_reason), ("product_category", board.by_category)):
        expected: dict[str | None, list[int]] = {}
        for case in cases.values():
            counts = expected.setdefault(getattr(case, field), [0, 0])
            counts[0] += 1
            counts[1] += case.outcome == "end_refunded"
        assert {r.key: [r.cases, r.refunded] for r in rates} == expected
        assert [r.cases for r in rates] == sorted((r.cases for r in rates), reverse=True)
    sla: dict[str, list[int]] = {}
    for timer in rows_of(rma, "timer"):
        if timer.sla is not None and timer.instance_id in cases:
            counts = sla.setdefault(timer.sla, [0, 0, 0])
            counts[0] += timer.status == "fired"
            counts[1] += timer.status == "cancelled"
            counts[2] += timer.status in ("pending", "claimed")
    assert {s.sla: [s.breached, s.met, s.pending] for s in board.sla} == sla
    assert [s.sla for s in board.sla] == sorted(sla)
    days = [float(r.days) for r in rows_of(rma, "product_repair") if cases[r.instance_id].kind == "repair"]
    assert (board.repair_days.count, board.repair_days.median, board.repair_days.p90) == (
        len(days),
        *nearest_rank(days),
    )
    scores = [s for s in rows_of(rma, "satisfaction_score") if s.instance_id in cases]
    given = [s.score for s in scores if s.score is not None]
    assert (board.csat.entries, board.csat.scored, board.csat.reached) == (
        len(scores),
        len(given),
        sum(s.reached for s in scores),
    )
    assert board.csat.average == round(sum(given) / len(given), 3)


def test_a_period_of_other_days_counts_none_of_these_cases(rma: Services) -> None:
    """The period's bounds hold for every figure (the timers and scores by their case's registration)."""
    known_cases(rma)
    today = today_of(rma)
    for first, last in (
        (today + timedelta(days=1), today + timedelta(days=30)),
        (today - timedelta(days=9), today - timedelta(days=7)),
    ):
        board = period(rma, **{"from": first.isoformat(), "to": last.isoformat()})
        assert (board.cases, board.sla, board.csat.entries, board.repair_days.count) == (0, [], 0, 0)
