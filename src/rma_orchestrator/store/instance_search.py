"""The managers' instance list: instances filtered by their state, steps, deadlines and text, read
as pages (with their total) or as keyset chunks (an export of any size)."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    and_,
    func,
    intersect,
    literal_column,
    or_,
    select,
)

from .db import AnyRow
from .models import TABLES
from .queries import INSTANCE_COLUMNS, case_text_matches

_instance = TABLES["process_instance"]
_task = TABLES["human_task"]
_timer = TABLES["timer"]

LIST_COLUMNS = (
    *INSTANCE_COLUMNS,
    _instance.c.order_no,
    _instance.c.customer_name,
    _instance.c.customer_phone,
    _instance.c.product_name,
    _instance.c.kind,
)
# Sort key -> (the value sorted by, whether it may be null). Nulls always come last, whatever the
# direction (the two databases disagree on where they go); the id breaks ties, so the order is total
# and a chunk can start after the last row of the one before. "due" is the case's next deadline, kept
# on its row by each step (``next_due_at``); two indexes hold it in the order of each direction.
_SORTS: dict[str, tuple[ColumnElement[Any], bool]] = {
    "started": (_instance.c.started_at, False),
    "ended": (_instance.c.ended_at, True),
    "rma": (_instance.c.business_key, False),
    "customer": (_instance.c.customer_name, True),
    "status": (_instance.c.status, False),
    "due": (_instance.c.next_due_at, True),
}
SORT_KEYS = tuple(_SORTS)
TEXT_MATCHES_READ = 2_000  # a search matching more reads them in each statement instead


@dataclass(frozen=True)
class InstanceFilter:
    """Which instances the list shows; every field left empty matches all.

    ``step``: an open task at that element; ``overdue_at``: an open task due before that time;
    ``breached``: an SLA timer that fired; ``text``: part of an RMA number, order number, customer
    name or phone; ``started_from`` inclusive, ``started_before`` exclusive.
    """

    status: str | None = None
    kind: str | None = None
    process_key: str | None = None
    version: int | None = None
    step: str | None = None
    overdue_at: datetime | None = None
    breached: bool = False
    started_from: datetime | None = None
    started_before: datetime | None = None
    text: str | None = None
    reason: str | None = None
    category: str | None = None
    sla: str | None = None  # an SLA timer of this name fired
    outcome: str | None = None


@dataclass(frozen=True)
class Order:
    key: str  # one of SORT_KEYS
    descending: bool = False


def search_instances(
    connection: Connection, where: InstanceFilter, order: Order, page: int, per_page: int
) -> tuple[list[AnyRow], int]:
    """One page of ``LIST_COLUMNS`` rows and the number of every match.

    Two statements: the page walks the sort's index and stops after its rows, the count reads the
    smallest index that answers the filters. One statement with ``count(*) OVER ()`` had to order
    every match before it could take a page (200 ms for 100,000 cases on SQLite).
    """
    text_ids = _text_matches(connection, where.text)
    page_conditions = _conditions(where, text_ids, walking=True)
    picked = _picked(order, page_conditions).offset((page - 1) * per_page).limit(per_page).subquery("page")
    rows = list(connection.execute(_listed(order, picked)).all())
    if page == 1 and len(rows) < per_page:
        return rows, len(rows)
    return rows, _count(connection, where, text_ids)


def instance_chunk(
    connection: Connection,
    where: InstanceFilter,
    order: Order,
    after: tuple[Any, int] | None,
    limit: int,
) -> list[AnyRow]:
    """Up to ``limit`` rows in ``order`` following the row whose (``sort_value``, id) is ``after``.

    Each row carries its ``sort_value``, to ask for the next chunk from the last one.
    """
    conditions = _conditions(where)
    if after is not None:
        conditions.append(_after(order, *after))
    picked = _picked(order, conditions).limit(limit).subquery("chunk")
    return list(connection.execute(_listed(order, picked)).all())


def _picked(order: Order, conditions: list[ColumnElement[bool]], *extra: Any) -> Select[Any]:
    """The ids (and sort values) of the matches in ``order``, found without reading the case rows
    (on SQLite their listed columns sit past the case's state, in overflow pages)."""
    value, _nullable = _SORTS[order.key]
    query = select(_instance.c.id, value.label("sort_value"), *extra).where(*conditions)
    return query.order_by(*_order_by(order))


def _listed(order: Order, picked: Subquery, *extra: Any) -> Select[Any]:
    """The ``LIST_COLUMNS`` of the picked rows only, in their order."""
    _value, nullable = _SORTS[order.key]
    return (
        select(*LIST_COLUMNS, picked.c.sort_value, *extra)
        .select_from(picked.join(_instance, _instance.c.id == picked.c.id))
        .order_by(*_terms(picked.c.sort_value, picked.c.id, nullable, order.descending))
    )


def open_steps(connection: Connection, instance_ids: Sequence[int]) -> list[AnyRow]:
    """The open tasks of these instances (instance_id, element_id, name, group_name, assignee, due_at)."""
    if not instance_ids:
        return []
    query = (
        select(
            _task.c.instance_id,
            _task.c.element_id,
            _task.c.name,
            _task.c.group_name,
            _task.c.assignee,
            _task.c.due_at,
        )
        .where(_task.c.instance_id.in_(list(instance_ids)), _task.c.status == "open")
        .order_by(_task.c.instance_id, _task.c.created_at, _task.c.id)
    )
    return list(connection.execute(query).all())


def listed_details(connection: Connection, instance_ids: Sequence[int]) -> tuple[list[AnyRow], set[int]]:
    """What a list shows beside each of these cases: their open tasks, and which breached an SLA."""
    return open_steps(connection, instance_ids), breached_instances(connection, instance_ids)


def breached_instances(connection: Connection, instance_ids: Sequence[int]) -> set[int]:
    """Those of ``instance_ids`` with an SLA timer that fired."""
    if not instance_ids:
        return set()
    listed = _timer.c.instance_id.in_(list(instance_ids))
    query = select(_timer.c.instance_id).distinct().where(_breach(), listed)
    return set(connection.execute(query).scalars())


def current_steps(connection: Connection) -> list[AnyRow]:
    """(element_id, name) of every element that has an open task now, by element id.

    The elements come from the index of open tasks by element (``ix_human_task_step``), and each
    one's name from one of its tasks: a DISTINCT over the names read every open task's row.
    """
    elements = select(_task.c.element_id).distinct().where(_task.c.status == "open").subquery("open_elements")
    one = _task.alias("named")
    name = (
        select(one.c.name)
        .where(one.c.status == "open", one.c.element_id == elements.c.element_id)
        .limit(1)
        .scalar_subquery()
    )
    query = select(elements.c.element_id, name.label("name")).order_by(elements.c.element_id)
    return list(connection.execute(query).all())


def _breach() -> ColumnElement[bool]:
    """An SLA timer that fired, written as the predicate of the partial index ``ix_timer_breached``: with
    a literal status, as a planner matches a partial index's predicate against literals only."""
    return and_(_timer.c.status == literal_column("'fired'"), _timer.c.sla.is_not(None))


def _text_matches(connection: Connection, text: str | None) -> list[int] | None:
    """The ids whose RMA number, order number, customer name or phone hold ``text``, when at most
    TEXT_MATCHES_READ do (a search's page and its count then share one scan of the search index);
    None when there is no text, or more matches than that (both statements then ask the index)."""
    if not text:
        return None
    query = select(_instance.c.id).where(case_text_matches(text)).limit(TEXT_MATCHES_READ + 1)
    ids = list(connection.execute(query).scalars())
    return ids if len(ids) <= TEXT_MATCHES_READ else None


def _conditions(
    where: InstanceFilter, text_ids: list[int] | None = None, walking: bool = False
) -> list[ColumnElement[bool]]:
    """``where`` on the instance table; what it asks of tasks and timers is an ``IN`` of their instances."""
    # A page asks "is this case one of them" while it walks the sort's index and stops after its rows:
    # ``id + 0`` keeps the planner from reading every case of the set by id and sorting them instead
    # (SQLite: 38 ms -> 5 ms for the 11,000 breached of 100,000). A count reads the set by id.
    of_cases = (_instance.c.id + 0) if walking else _instance.c.id
    return [*_row_conditions(where, text_ids), *(of_cases.in_(ids) for ids in _id_sets(where))]


def _row_conditions(where: InstanceFilter, text_ids: list[int] | None) -> list[ColumnElement[bool]]:
    """What ``where`` asks of the case row itself (its text search included)."""
    conditions: list[ColumnElement[bool]] = []
    for column, wanted in (
        (_instance.c.status, where.status),
        (_instance.c.kind, where.kind),
        (_instance.c.process_key, where.process_key),
        (_instance.c.version, where.version),
        (_instance.c.reason, where.reason),
        (_instance.c.product_category, where.category),
        (_instance.c.outcome, where.outcome),
    ):
        if wanted is not None:
            conditions.append(column == wanted)
    if where.started_from is not None:
        conditions.append(_instance.c.started_at >= where.started_from)
    if where.started_before is not None:
        conditions.append(_instance.c.started_at < where.started_before)
    if where.text and text_ids is not None:
        conditions.append(_instance.c.id.in_(text_ids))
    elif where.text:
        conditions.append(_instance.c.id.in_(select(_instance.c.id).where(case_text_matches(where.text))))
    return conditions


def _id_sets(where: InstanceFilter) -> list[Select[Any]]:
    """What ``where`` asks of open tasks and fired timers: each a set of instance ids (with repeats)."""
    sets: list[Select[Any]] = []
    open_task = _task.c.status == "open"
    if where.step:
        sets.append(select(_task.c.instance_id).where(open_task, _task.c.element_id == where.step))
    if where.overdue_at is not None:
        late = (open_task, _task.c.due_at.is_not(None), _task.c.due_at < where.overdue_at)
        sets.append(select(_task.c.instance_id).where(*late))
    if where.breached:
        sets.append(select(_timer.c.instance_id).where(_breach()))
    if where.sla:
        sets.append(select(_timer.c.instance_id).where(_breach(), _timer.c.sla == where.sla))
    return sets


def _count(connection: Connection, where: InstanceFilter, text_ids: list[int] | None) -> int:
    """The number of cases ``where`` matches.

    A filter that asks nothing of the case row counts the distinct instance ids of its sets where they
    are, from their indexes: matched against the cases, PostgreSQL hashed the 11,000 breached and
    probed the hash with every one of 100,000 cases (20-50 ms; 2 ms from the partial index of fired
    SLA timers), and SQLite looked each one up (60 ms; 4-6 ms).
    """
    conditions = _row_conditions(where, text_ids)
    sets = _id_sets(where)
    if conditions or not sets:
        conditions += [_instance.c.id.in_(ids) for ids in sets]
        query = select(func.count()).select_from(_instance).where(*conditions)
    else:
        ids = sets[0].distinct() if len(sets) == 1 else intersect(*sets)
        query = select(func.count()).select_from(ids.subquery("matched"))
    return int(connection.execute(query).scalar_one())


def _order_by(order: Order) -> list[ColumnElement[Any]]:
    value, nullable = _SORTS[order.key]
    return _terms(value, _instance.c.id, nullable, order.descending)


def _terms(
    value: ColumnElement[Any], row_id: ColumnElement[Any], nullable: bool, descending: bool
) -> list[ColumnElement[Any]]:
    # Nulls last either way: "is null" ascending, or "is not null" descending, so that every term runs
    # in one direction and a descending list is an index read backwards.
    terms: list[ColumnElement[Any]] = []
    if descending:
        terms += [value.is_not(None).desc()] if nullable else []
        return [*terms, value.desc(), row_id.desc()]
    terms += [value.is_(None)] if nullable else []
    return [*terms, value.asc(), row_id.asc()]


def _after(order: Order, value: Any, last_id: int) -> ColumnElement[bool]:
    """The rows that ``_order_by(order)`` puts after the row (``value``, ``last_id``)."""
    column, nullable = _SORTS[order.key]
    beyond = operator.lt if order.descending else operator.gt
    later_id: ColumnElement[bool] = beyond(_instance.c.id, last_id)
    if value is None:  # already in the nulls at the end
        return and_(column.is_(None), later_id)
    later: ColumnElement[bool] = or_(beyond(column, value), and_(column == value, later_id))
    return or_(later, column.is_(None)) if nullable else later
