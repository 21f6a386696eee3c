"""The case list's search: URL parameters to a search and back, its bounds in business days, every bad
value refused at once, and an export that checks first and then reads in keyset chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from support import AGENT, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instance_list import export_instances, search_instances
from rma_orchestrator.service.instance_search import InstanceSearch, parse_search
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.store import instance_search as stored

FULL = InstanceSearch(
    status="running",
    kind="repair",
    process="rma_case",
    version=2,
    step="review_case",
    overdue=True,
    breached=True,
    started_from=date(2026, 12, 1),
    started_to=date(2026, 12, 3),
    q="王伟",
    sort="-due",
    page=3,
    per_page=50,
)


def test_a_search_goes_to_url_parameters_and_back() -> None:
    assert parse_search(FULL.params(page=3)) == FULL
    assert parse_search({}) == InstanceSearch() and InstanceSearch().params() == {}
    assert FULL.params()["started_from"] == "2026-12-01" and "page" not in FULL.params()


def test_dates_are_whole_days_of_the_business_time_zone() -> None:
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    where = FULL.where(now, "Asia/Shanghai")
    assert where.started_from == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert where.started_before == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # the 3rd included
    assert where.overdue_at == now and where.text == "王伟" and where.version == 2


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(InvalidData) as refused:
        parse_search({"status": "lost", "started_from": "2026-02-30", "sort": "price", "page": "x"})
    assert [item["field"] for item in refused.value.items] == ["status", "started_from", "sort", "page"]


def test_the_export_checks_the_permission_before_it_is_read(services: Services) -> None:
    with pytest.raises(Forbidden):
        export_instances(services, AGENT, InstanceSearch())  # raised by the call, not by iterating
    with pytest.raises(Forbidden):
        search_instances(services, AGENT, InstanceSearch())


def test_the_export_reads_chunk_after_chunk(
    start_order: Callable[..., InstanceInfo], deployed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = [start_order() for _ in range(5)]
    calls: list[tuple[Any, int]] = []
    real = stored.instance_chunk

    def spy(connection: Any, where: Any, order: Any, after: Any, limit: int) -> Any:
        calls.append((after, limit))
        return real(connection, where, order, after, limit)

    monkeypatch.setattr(stored, "instance_chunk", spy)
    rows = export_instances(deployed, MANAGER, parse_search({"sort": "started"}), chunk_size=2)
    assert isinstance(rows, Iterator) and calls == []  # nothing read before the first row is asked for
    assert [row.id for row in rows] == [i.id for i in started]
    assert [limit for _after, limit in calls] == [2, 2, 2]
    assert calls[0][0] is None and calls[1][0] == (started[1].started_at, started[1].id)
