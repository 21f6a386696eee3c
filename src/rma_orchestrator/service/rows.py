"""Results built from store rows: the one place that knows both the columns and the result types.

A result's fields are named as the columns of the query behind it, so one builder serves all.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from .results import EventInfo, IncidentInfo, InstanceInfo, TaskInfo, TimerInfo

R = TypeVar("R")


def build(kind: type[R], row: Any, **values: Any) -> R:
    """A ``kind`` from the like-named attributes of ``row`` (a result row or a record); ``values`` win."""
    return kind(**{name: values[name] if name in values else getattr(row, name) for name in _names(kind)})


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(kind: type) -> tuple[str, ...]:
    """A result type's field names, read once per type."""
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


def task_info(row: Any) -> TaskInfo:
    return build(TaskInfo, row)


def timer_info(row: Any) -> TimerInfo:
    """A timer another process has claimed is still pending to anyone reading it."""
    return build(TimerInfo, row, status="pending" if row.status == "claimed" else row.status)


def incident_info(row: Any, with_details: bool) -> IncidentInfo:
    """``with_details`` False leaves out the traceback (``details``), keeping the message."""
    return build(IncidentInfo, row) if with_details else build(IncidentInfo, row, details=None)


def event_info(row: Any) -> EventInfo:
    return build(EventInfo, row)


def instance_info(row: Any) -> InstanceInfo:
    """From a row of the instance list's columns, or from an ``InstanceRecord``."""
    return build(InstanceInfo, row)
