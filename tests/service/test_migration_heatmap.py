"""Migration 0016: the heatmap's covering indexes, the timers' creation time, the message waits kept
once they end, the runs of call activities; filled in for the cases already there (on the parcel
cases of tests/parcel_cases.py), and taken away by a downgrade."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from parcel_cases import check_parcel, parcel_cases
from sqlalchemy import inspect, select, update
from support import ADMIN, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.dashboard import today_of
from rma_orchestrator.service.heatmap import get_heatmap, parse_heatmap_query
from rma_orchestrator.store.migrate import current_revision, downgrade, head_revision, upgrade
from rma_orchestrator.store.models import TABLES

HOUR = 3600.0
INDEXES = {
    ("process_instance", "ix_process_instance_heatmap"),
    ("human_task", "ix_human_task_heatmap"),
    ("timer", "ix_timer_heatmap"),
    ("message_subscription", "ix_subscription_heatmap"),
    ("called_process", "ix_called_process_heatmap"),
}
_instance, _timer, _subscription, _call = (
    TABLES[name] for name in ("process_instance", "timer", "message_subscription", "called_process")
)


def _schema(services: Services) -> tuple[set[tuple[str, str]], set[str]]:
    """The heatmap's indexes present, and which of its new columns and table are."""
    inspector = inspect(services.database.engine)
    tables = set(inspector.get_table_names())
    indexes = {
        (table, index["name"])
        for table in {t for t, _ in INDEXES} & tables
        for index in inspector.get_indexes(table)
    }
    columns = {f"timer.{c['name']}" for c in inspector.get_columns("timer")}
    columns |= {f"message_subscription.{c['name']}" for c in inspector.get_columns("message_subscription")}
    new = {"timer.created_at", "message_subscription.status", "message_subscription.ended_at"}
    return indexes & INDEXES, (columns & new) | ({"called_process"} & tables)


def _rows(services: Services, query: Any) -> list[tuple[Any, ...]]:
    with services.database.reading() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _forget_calls(services: Services) -> None:
    """The projections as a case written before 0016 left them: no call activity runs in them."""
    with services.database.engine.begin() as connection:
        for instance_id, projection in connection.execute(select(_instance.c.id, _instance.c.projection)):
            kept = {k: v for k, v in projection.items() if k != "calls"}
            connection.execute(update(_instance).where(_instance.c.id == instance_id).values(projection=kept))


@pytest.fixture
def parcels(services: Services) -> dict[str, int]:
    return parcel_cases(services)


def test_the_indexes_columns_and_table_come_and_go(services: Services) -> None:
    assert current_revision(services.database) == head_revision(services.database)
    assert _schema(services) == (
        INDEXES,
        {
            "timer.created_at",
            "message_subscription.status",
            "message_subscription.ended_at",
            "called_process",
        },
    )
    try:
        downgrade(services.database, "0014")
        assert _schema(services) == (set(), set())
    finally:
        upgrade(services.database)  # the PostgreSQL database is shared by the run's other tests
    assert _schema(services)[0] == INDEXES


def test_the_cases_already_there_are_filled_in(services: Services, parcels: dict[str, int]) -> None:
    a, b, c = parcels["a"], parcels["b"], parcels["c"]
    (started_at,) = _rows(services, select(_instance.c.started_at).where(_instance.c.id == a))[0]
    try:
        downgrade(services.database, "0014")
    finally:
        upgrade(services.database)
    _forget_calls(services)

    # the timer waited from the case's start (its last event before the timer fired)
    created = _rows(
        services, select(_timer.c.instance_id, _timer.c.created_at).order_by(_timer.c.instance_id)
    )
    assert created == [(i, started_at) for i in (a, b, c)]
    # only C's open wait was left: it is waiting, at the parent process
    waits = _rows(
        services, select(_subscription.c.instance_id, _subscription.c.process_key, _subscription.c.status)
    )
    assert waits == [(c, "heat_parent", "waiting")]
    # the called processes: A's from its check's creation to its completion; B's runs
    calls = _rows(
        services,
        select(
            _call.c.instance_id,
            _call.c.element_id,
            _call.c.called_key,
            _call.c.status,
            _call.c.started_at,
            _call.c.ended_at,
        ).order_by(_call.c.instance_id),
    )
    assert calls == [
        (
            a,
            "check_parcel",
            "heat_child",
            "completed",
            started_at + timedelta(hours=3),
            started_at + timedelta(hours=7),
        ),
        (b, "check_parcel", "heat_child", "running", started_at + timedelta(hours=5), None),
    ]
    query = parse_heatmap_query({"process": "heat_parent", "days": "7"}, today_of(services))
    heat = get_heatmap(services, MANAGER, query)
    call = heat.element("check_parcel")
    assert call is not None and (call.passed, call.waiting, call.median) == (
        1,
        1,
        pytest.approx(4 * HOUR, abs=1),
    )
    timer = heat.element("wait_two_hours")
    assert timer is not None and timer.median == pytest.approx(2 * HOUR, abs=1)

    # B's next step takes its running row over (the row knew no engine task) and ends it
    move_clock(services, ADMIN, add="PT1H")
    check_parcel(services, b)
    ended = _rows(services, select(_call.c.status, _call.c.ended_at).where(_call.c.instance_id == b))
    assert ended == [("completed", started_at + timedelta(hours=8))]
    call = get_heatmap(services, MANAGER, query).element("check_parcel")
    assert call is not None and (call.passed, call.waiting) == (2, 0)
