"""The managers' instance list: a page of cases with their current steps and deadlines, the same list
streamed in chunks for an export of any size, and the choices its filters offer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InvalidData
from ..store import definitions as stored_definitions
from ..store import instance_search as stored
from . import permissions
from .context import Actor, Services
from .instance_search import InstanceSearch
from .results import InstanceStatus, Page
from .rows import build

EXPORT_CHUNK = 500  # rows read per statement of an export; nothing holds more than one chunk


@dataclass(frozen=True)
class StepInfo:
    """An open task of the case: where it stands now."""

    element_id: str
    name: str
    group: str | None
    assignee: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class InstanceRow:
    """A case as the list shows it; ``overdue`` and ``sla_breached`` as of the time of the read."""

    id: int
    business_key: str
    process_key: str
    version: int
    status: InstanceStatus
    outcome: str | None
    started_at: datetime
    ended_at: datetime | None
    order_no: str | None
    customer_name: str | None
    customer_phone: str | None
    product_name: str | None
    kind: str | None
    steps: tuple[StepInfo, ...]
    next_due_at: datetime | None
    overdue: bool
    sla_breached: bool


@dataclass(frozen=True)
class ProcessChoice:
    process_key: str
    name: str
    latest_version: int


@dataclass(frozen=True)
class StepChoice:
    element_id: str
    name: str


@dataclass(frozen=True)
class FilterChoices:
    processes: list[ProcessChoice]
    steps: list[StepChoice]  # the elements where some case waits now


def search_instances(services: Services, actor: Actor, search: InstanceSearch) -> Page[InstanceRow]:
    permissions.require_may_monitor(actor)
    now = services.clock.now()
    where = search.where(now, services.settings.business_tz)
    with services.database.reading() as connection:
        if search.process:
            versions = stored_definitions.latest_and_has_version(connection, search.process, search.version)
            _check_process(search, *versions)
        rows, total = stored.search_instances(connection, where, search.order(), search.page, search.per_page)
        listed = _rows(rows, *stored.listed_details(connection, [row.id for row in rows]), now)
    return Page(listed, total, search.page, search.per_page)


def export_instances(
    services: Services, actor: Actor, search: InstanceSearch, chunk_size: int = EXPORT_CHUNK
) -> Iterator[InstanceRow]:
    """Every case of ``search`` (its page ignored) in its order, read ``chunk_size`` at a time.

    The permission and the filters are checked here, before the first row is asked for. Each chunk
    is its own short read, so a slow download holds no connection between chunks; it starts after
    the last row of the one before (keyset), so no chunk costs more than the first. As each chunk is
    its own read, a case whose sort value changes while the export runs (a deadline, a status) may
    be left out or listed twice; sorted by registration time, every case is listed once.
    """
    permissions.require_may_monitor(actor)
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    now = services.clock.now()
    with services.database.reading() as connection:
        if search.process:
            versions = stored_definitions.latest_and_has_version(connection, search.process, search.version)
            _check_process(search, *versions)
    where = search.where(now, services.settings.business_tz)
    return _chunks(services, where, search.order(), now, chunk_size)


def _chunks(
    services: Services, where: stored.InstanceFilter, order: stored.Order, now: datetime, chunk_size: int
) -> Iterator[InstanceRow]:
    after: tuple[Any, int] | None = None
    while True:
        with services.database.reading() as connection:
            rows = stored.instance_chunk(connection, where, order, after, chunk_size)
            listed = _rows(rows, *stored.listed_details(connection, [row.id for row in rows]), now)
        yield from listed
        if len(rows) < chunk_size:
            return
        after = (rows[-1].sort_value, rows[-1].id)


def filter_choices(services: Services, actor: Actor) -> FilterChoices:
    """The deployed processes (with their latest version) and the steps where cases wait now."""
    permissions.require_may_monitor(actor)
    with services.database.reading() as connection:
        processes = [
            ProcessChoice(row.process_key, row.name, row.version)
            for row in stored_definitions.latest_definitions(connection)
        ]
        steps: dict[str, str] = {}
        for row in stored.current_steps(connection):
            steps.setdefault(row.element_id, row.name)  # the same element may be named anew in a version
    return FilterChoices(processes, [StepChoice(element, name) for element, name in steps.items()])


def _check_process(search: InstanceSearch, latest: int | None, has_version: bool) -> None:
    """A process that was never deployed (``latest`` None), or a version it never had, is a mistake
    worth saying."""
    if latest is None:
        raise InvalidData(
            "unknown process", [{"field": "process", "message": f"no process {search.process} is deployed"}]
        )
    if not has_version:
        message = f"{search.process} has versions 1 to {latest}"
        raise InvalidData("unknown version", [{"field": "version", "message": message}])


def _rows(
    rows: Sequence[Any], open_tasks: Sequence[Any], breached: set[int], now: datetime
) -> list[InstanceRow]:
    steps: dict[int, list[StepInfo]] = {}
    for task in open_tasks:
        step = StepInfo(task.element_id, task.name, task.group_name, task.assignee, task.due_at)
        steps.setdefault(task.instance_id, []).append(step)
    listed = []
    for row in rows:
        own = tuple(steps.get(row.id, ()))
        due = [s.due_at for s in own if s.due_at is not None]
        listed.append(
            build(
                InstanceRow,
                row,
                steps=own,
                next_due_at=min(due, default=None),
                overdue=any(d < now for d in due),
                sla_breached=row.id in breached,
            )
        )
    return listed
