"""Each case's next deadline on its row (``next_due_at``, migration 0015): the earliest due time of its
open tasks after every command that changes them, the case list sorted by it (nulls last both ways,
pages and export chunks), filled in for the cases already there; and the counts of task and timer
filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rma_cases import case_data, deploy_rma
from sqlalchemy import event, func, inspect, select, text
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instance_list import export_instances, search_instances
from rma_orchestrator.service.instance_search import parse_search
from rma_orchestrator.service.instances import (
    cancel_instance,
    get_instance,
    resume_instance,
    start_instance,
    suspend_instance,
)
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store import instance_search as stored
from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import current_revision, downgrade, head_revision, upgrade
from rma_orchestrator.store.models import TABLES

_instance, _task = TABLES["process_instance"], TABLES["human_task"]
NEW_INDEXES = {"ix_process_instance_due_first", "ix_process_instance_due_last", "ix_timer_breached"}
REJECT = {"eligible": False, "approved": False, "return_method": "not_applicable"}
APPROVE = {"eligible": True, "approved": True, "return_method": "courier_pickup"}


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    return services


def start(services: Services, **changes: Any) -> InstanceInfo:
    return start_instance(services, "rma_case", case_data(services, **changes), AGENT)


def next_due(services: Services) -> dict[int, datetime | None]:
    """Every case's ``next_due_at`` column, by id."""
    with services.database.reading() as connection:
        rows = connection.execute(select(_instance.c.id, _instance.c.next_due_at)).all()
    return {row.id: row.next_due_at for row in rows}


def earliest_open_due(services: Services) -> dict[int, datetime | None]:
    """What the column must say: the earliest due time of each case's open tasks, read from the tasks."""
    due = (
        select(func.min(_task.c.due_at))
        .where(_task.c.instance_id == _instance.c.id, _task.c.status == "open")
        .scalar_subquery()
    )
    with services.database.reading() as connection:
        return {row.id: row.due for row in connection.execute(select(_instance.c.id, due.label("due")))}


def complete(services: Services, instance_id: int, element: str, data: dict[str, Any]) -> None:
    (task,) = [t for t in get_instance(services, instance_id, MANAGER).tasks if t.element_id == element]
    complete_task(services, task.id, data, MANAGER)


def listed(services: Services, **args: str) -> list[int]:
    return [row.id for row in search_instances(services, MANAGER, parse_search(args)).items]


def test_the_next_deadline_follows_every_command_that_changes_the_open_tasks(rma: Services) -> None:
    first = start(rma)
    (review,) = get_instance(rma, first.id, MANAGER).tasks
    assert review.due_at is not None
    assert next_due(rma) == {first.id: review.due_at}  # the first step wrote it
    move_clock(rma, ADMIN, add="PT25H")  # the first response is breached: an escalation task opens
    tasks = get_instance(rma, first.id, MANAGER).tasks
    assert {t.element_id for t in tasks} == {"review_case", "escalate_first_response"}
    assert next_due(rma) == {first.id: review.due_at}  # the passed deadline stays the next one
    second, third = start(rma), start(rma)
    assert next_due(rma) == earliest_open_due(rma)
    complete(rma, first.id, "review_case", APPROVE)
    complete(rma, second.id, "review_case", REJECT)  # the case ends
    assert next_due(rma)[second.id] is None
    assert next_due(rma) == earliest_open_due(rma)
    before = next_due(rma)[third.id]
    suspend_instance(rma, third.id, MANAGER)
    assert next_due(rma)[third.id] == before  # its tasks stay open while it is suspended
    resume_instance(rma, third.id, MANAGER)
    assert next_due(rma)[third.id] == before
    cancel_instance(rma, third.id, MANAGER, reason="customer withdrew")
    assert next_due(rma)[third.id] is None
    assert next_due(rma) == earliest_open_due(rma)


def test_the_list_by_deadline_puts_cases_without_one_last_both_ways(rma: Services) -> None:
    late = start(rma)
    move_clock(rma, ADMIN, add="PT2H")
    soon = start(rma)
    move_clock(rma, ADMIN, add="PT2H")
    done = start(rma)
    complete(rma, done.id, "review_case", REJECT)
    later = start(rma)
    assert listed(rma, sort="due") == [late.id, soon.id, later.id, done.id]
    assert listed(rma, sort="-due") == [later.id, soon.id, late.id, done.id]
    assert listed(rma, sort="due", per_page="1", page="2") == [soon.id]
    assert listed(rma, sort="-due", per_page="2", page="2") == [late.id, done.id]
    assert listed(rma, sort="due", status="running") == [late.id, soon.id, later.id]
    for sort, expected in (("due", [late, soon, later, done]), ("-due", [later, soon, late, done])):
        exported = export_instances(rma, MANAGER, parse_search({"sort": sort}), chunk_size=1)
        assert [row.id for row in exported] == [case.id for case in expected], sort


def test_the_count_of_breached_cases_alone_and_with_other_filters(rma: Services) -> None:
    first, second = start(rma), start(rma)
    move_clock(rma, ADMIN, add="PT25H")  # both first responses breached
    complete(rma, first.id, "review_case", APPROVE)
    third = start(rma)  # not breached
    page = search_instances(rma, MANAGER, parse_search({"breached": "1", "per_page": "1"}))
    assert page.total == 2 and [row.id for row in page.items] == [second.id]
    for args, total in (
        ({"breached": "1", "step": "review_case"}, 1),  # the sets alone: counted where they are
        ({"breached": "1", "step": "escalate_first_response"}, 2),
        ({"breached": "1", "overdue": "1", "step": "review_case"}, 1),
        ({"breached": "1", "kind": "return"}, 2),  # with a condition on the case row
        ({"step": "review_case"}, 2),
    ):
        found = search_instances(rma, MANAGER, parse_search({**args, "per_page": "1"}))
        assert found.total == total == len(listed(rma, **args)), args
    assert third.id not in listed(rma, breached="1")


def test_the_migration_fills_in_the_next_deadline_of_the_cases_already_there(rma: Services) -> None:
    waiting, ended = start(rma), start(rma)
    complete(rma, ended.id, "review_case", REJECT)
    expected = next_due(rma)
    assert expected[waiting.id] is not None and expected[ended.id] is None
    assert current_revision(rma.database) == head_revision(rma.database)
    try:
        downgrade(rma.database, "0014")
        columns = inspect(rma.database.engine).get_columns("process_instance")
        assert "next_due_at" not in {column["name"] for column in columns}
        assert index_names(rma) & NEW_INDEXES == set()
    finally:
        upgrade(rma.database)  # the PostgreSQL database is shared by the run's other tests
    assert next_due(rma) == expected
    assert index_names(rma) & NEW_INDEXES == NEW_INDEXES


def index_names(services: Services) -> set[str]:
    """The indexes of every table (read from the catalogue: reflection skips expression indexes)."""
    if services.database.is_sqlite:
        query = text("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        query = text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    with services.database.reading() as connection:
        return set(connection.execute(query).scalars())


@pytest.mark.parametrize(("sort", "index"), [("due", "due_first"), ("-due", "due_last")])
def test_a_page_by_deadline_reads_its_index_in_order(tmp_path: Path, sort: str, index: str) -> None:
    """Each direction walks its own index and sorts only the page's rows: the ORDER BY terms match
    the indexes' expressions. Asked of SQLite, whose plan here needs no table statistics."""
    database = Database(f"sqlite:///{tmp_path}/plan.sqlite3")
    upgrade(database)
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    search = parse_search({"sort": sort})
    event.listen(database.engine, "before_cursor_execute", keep)
    try:
        with database.reading() as connection:
            where = search.where(datetime.now(UTC), "UTC")
            stored.search_instances(connection, where, search.order(), 1, 25)
            ((page, parameters),) = [(s, p) for s, p in sent if "LIMIT" in s]
            plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {page}", parameters)]
    finally:
        database.dispose()
    walk = f"SCAN process_instance USING COVERING INDEX ix_process_instance_{index}"
    assert walk in plan, plan
    assert not any("TEMP B-TREE" in step for step in plan[: plan.index("SCAN page")]), plan
