"""The SLA heatmap (/monitor/heatmap): one process version's diagram with, per element, how many of a
period's cases passed it, how many wait there now, the median and 90th percentile of the time spent
there, and whether its SLA is missed in more than a threshold of the cases that reached it.

The period is the dashboard's (``days`` or ``from``/``to``, whole days of the business time zone,
cases registered in it). Figures come from the projection tables (``store/heatmap.py``): user tasks
from ``human_task`` (creation to completion), timers cases wait at from ``timer`` (creation to
firing), message catches from ``message_subscription`` (the wait's start to the message), call
activities from ``called_process`` (the called process's start to its end). A user task is late in
a case when an SLA boundary timer on it (``timer.sla``, ``attached_to`` the task) fired.

A called process runs inside its case's workflow: ``call=KEY`` shows that process's diagram as the
version's cases ran it (its file in the version's closure), with the figures of its elements over
the same cases; a call activity links there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..engine.diagram_links import DiagramLinks, diagram_links
from ..errors import InvalidData
from ..store import definitions as stored
from ..store import heatmap as figures
from ..store import heatmap_late, limits
from ..store.heatmap import Cases, ElementRow
from ..store.heatmap_late import LateCase
from . import permissions
from .context import Actor, Services
from .dashboard import DashboardPeriod, parse_period
from .inputs import text_problem

DEFAULT_THRESHOLD = 10.0  # percent of the cases that reached an element
_NUMBER = re.compile(r"\d{1,3}(\.\d{1,2})?")


@dataclass(frozen=True)
class HeatmapQuery:
    """``version`` None: the process's latest version; ``threshold`` in percent; ``called``: the
    process called by the version whose diagram is shown (None: the version's own)."""

    process_key: str
    version: int | None
    period: DashboardPeriod
    threshold: float = DEFAULT_THRESHOLD
    called: str | None = None

    def params(self, version: int | None = None) -> dict[str, str]:
        """The query as URL parameters of the heatmap (defaults left out)."""
        params = {"process": self.process_key, **self.period.params()}
        shown = version if version is not None else self.version
        if shown is not None:
            params["version"] = str(shown)
        if self.threshold != DEFAULT_THRESHOLD:
            params["threshold"] = f"{self.threshold:g}"
        if self.called is not None:
            params["call"] = self.called
        return params


@dataclass(frozen=True)
class ElementHeat:
    """One diagram element. ``passed``: tasks completed, timers fired, messages delivered, called
    processes ended; ``waiting``: open tasks, pending timers, open message waits, called processes
    running now; ``reached``: cases that got there (a user task's late rate's base); times in
    seconds, None where nothing passed; ``called``: what a call activity calls."""

    element_id: str
    name: str
    kind: str  # "task", "timer", "message" or "call"
    passed: int
    waiting: int
    reached: int = 0
    median: float | None = None
    p90: float | None = None
    late: int = 0
    slas: tuple[str, ...] = ()
    hot: bool = False
    called: str | None = None

    @property
    def late_rate(self) -> float | None:
        return self.late / self.reached if self.reached else None


@dataclass(frozen=True)
class Heatmap:
    """``shown``: the process whose diagram ``xml`` is (the version's own, or one it calls)."""

    query: HeatmapQuery
    process_key: str
    version: int
    xml: str
    elements: list[ElementHeat]
    shown: str = ""

    def element(self, element_id: str) -> ElementHeat | None:
        return next((e for e in self.elements if e.element_id == element_id), None)


@dataclass(frozen=True)
class LateCases:
    """The cases late at one element: how many, the newest of them, and how many per reason and per
    product category (None: not given)."""

    element_id: str
    total: int
    cases: list[LateCase]
    by_reason: list[tuple[str | None, int]]
    by_category: list[tuple[str | None, int]]


def parse_heatmap_query(args: Mapping[str, str], today: date) -> HeatmapQuery:
    """``process`` (required), ``version`` (default: latest), the dashboard's period, ``threshold``
    (percent, 0 to 100, default 10), ``call`` (a process the version calls). InvalidData names each
    bad parameter."""
    problems: list[dict[str, str]] = []
    try:
        period = parse_period(args, today)
    except InvalidData as error:
        problems.extend(error.items)
        period = parse_period({}, today)
    key = args.get("process", "").strip()
    if not key or text_problem(key, limits.PROCESS_KEY) is not None:
        problems.append({"field": "process", "message": "name a deployed process (process=KEY)"})
    version: int | None = None
    version_text = args.get("version", "").strip()
    if version_text:
        if version_text.isdigit() and 0 < int(version_text) <= limits.INSTANCE_ID:
            version = int(version_text)
        else:
            problems.append({"field": "version", "message": "must be a version number (1, 2, ...)"})
    threshold = DEFAULT_THRESHOLD
    threshold_text = args.get("threshold", "").strip()
    if threshold_text:
        if _NUMBER.fullmatch(threshold_text) and float(threshold_text) <= 100:
            threshold = float(threshold_text)
        else:
            problems.append({"field": "threshold", "message": "must be a percentage from 0 to 100"})
    called = args.get("call", "").strip() or None
    if called is not None and text_problem(called, limits.PROCESS_KEY) is not None:
        problems.append({"field": "call", "message": "name a process the version calls (call=KEY)"})
    if problems:
        raise InvalidData("bad heatmap query", problems)
    return HeatmapQuery(key, version, period, threshold, called)


def list_heatmap_processes(services: Services, actor: Actor) -> list[tuple[str, str, int]]:
    """(process key, name, latest version) of every deployed process: what a heatmap can show."""
    permissions.require_may_monitor(actor)
    with services.database.reading() as connection:
        return [(r.process_key, r.name, int(r.version)) for r in stored.latest_definitions(connection)]


def _cases(services: Services, query: HeatmapQuery) -> tuple[Cases, DiagramLinks, int, str]:
    """The chosen cases, the diagram shown and the version, read with the definition; InvalidData for
    an unknown process, version or called process (the page answers 400 saying which)."""
    zone = ZoneInfo(services.settings.business_tz)
    with services.database.reading() as connection:
        if query.version is None:
            definition = stored.latest_definition(connection, query.process_key)
        else:
            definition = stored.definition_by_version(connection, query.process_key, query.version)
        if definition is None:
            field, what = (
                ("process", f"no process {query.process_key!r} is deployed")
                if stored.latest_definition(connection, query.process_key) is None
                else ("version", f"process {query.process_key!r} has no version {query.version}")
            )
            raise InvalidData("unknown process or version", [{"field": field, "message": what}])
        shown = query.called or query.process_key
        links = diagram_links(services.definitions.get(definition.id), shown)
        if links is None:  # a definition's own process is always drawn
            what = f"version {definition.version} of {query.process_key!r} calls no process {shown!r}"
            raise InvalidData("unknown called process", [{"field": "call", "message": what}])
        xml = stored.blobs(connection, {links.file: definition.files[links.file]})[links.file]
    cases = Cases(
        process_key=query.process_key,
        version=int(definition.version),
        start=datetime.combine(query.period.first_day, time(), zone),
        end=datetime.combine(query.period.last_day + timedelta(days=1), time(), zone),
        process_keys=frozenset({shown, *links.embedded}),
    )
    return cases, links, int(definition.version), xml.decode("utf-8")


def get_heatmap(services: Services, actor: Actor, query: HeatmapQuery) -> Heatmap:
    """Every element's figures for the query's version and period, read in one transaction."""
    permissions.require_may_monitor(actor)
    cases, links, version, xml = _cases(services, query)
    with services.database.reading() as connection:
        tasks = figures.task_figures(connection, cases)
        timers, breached = figures.timer_figures(connection, cases, links.attached)
        waits = {
            "timer": timers,
            "message": figures.message_figures(connection, cases),
            "call": figures.call_figures(connection, cases),
        }
    breaches = {row.element_id: row for row in breached}
    elements: list[ElementHeat] = []
    for task in tasks:
        breach = breaches.get(task.element_id)
        late = breach.late_cases if breach else 0
        elements.append(
            _heat(
                task,
                "task",
                links,
                late=late,
                slas=breach.slas if breach else (),
                hot=task.cases > 0 and late * 100 > query.threshold * task.cases,
            )
        )
    for kind, rows in waits.items():
        elements.extend(_heat(row, kind, links, called=links.calls.get(row.element_id)) for row in rows)
    return Heatmap(query, query.process_key, version, xml, elements, links.process_key)


def _heat(row: ElementRow, kind: str, links: DiagramLinks, **more: Any) -> ElementHeat:
    return ElementHeat(
        element_id=row.element_id,
        name=links.names.get(row.element_id, row.element_id),
        kind=kind,
        passed=row.passed,
        waiting=row.waiting,
        reached=row.cases,
        median=row.median,
        p90=row.p90,
        **more,
    )


def get_late_cases(services: Services, actor: Actor, query: HeatmapQuery, element_id: str) -> LateCases:
    """The query's cases late at ``element_id`` (an SLA timer on its task fired), with the breakdowns."""
    permissions.require_may_monitor(actor)
    if text_problem(element_id, limits.ELEMENT_ID) is not None:
        raise InvalidData("bad element", [{"field": "element", "message": "must be a diagram element id"}])
    cases, links, _version, _xml = _cases(services, query)
    guards = [event for event, activity in links.attached.items() if activity == element_id]
    if not guards:  # no boundary event on it: never late
        return LateCases(element_id, 0, [], [], [])
    with services.database.reading() as connection:
        total, shown = heatmap_late.late_cases(connection, cases, guards)
        by_reason = heatmap_late.late_breakdown(connection, cases, guards, "reason")
        by_category = heatmap_late.late_breakdown(connection, cases, guards, "category")
    return LateCases(element_id, total, shown, by_reason, by_category)
