"""Results built from store rows: the one place that knows both the columns and the result types."""

from __future__ import annotations

from typing import Any, cast

from .results import (
    EventInfo,
    IncidentInfo,
    InstanceInfo,
    InstanceStatus,
    TaskInfo,
    TaskStatus,
    TimerInfo,
    TimerStatus,
)


def task_info(row: Any) -> TaskInfo:
    return TaskInfo(
        id=row.id,
        instance_id=row.instance_id,
        business_key=row.business_key,
        process_key=row.process_key,
        element_id=row.element_id,
        name=row.name,
        group=row.group,
        assignee=row.assignee,
        status=cast(TaskStatus, row.status),
        created_at=row.created_at,
        due_at=row.due_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
    )


def timer_info(row: Any) -> TimerInfo:
    status = "pending" if row.status == "claimed" else row.status
    return TimerInfo(
        id=row.id,
        element_id=row.element_id,
        process_key=row.process_key,
        due_at=row.due_at,
        status=cast(TimerStatus, status),
        fired_at=row.fired_at,
    )


def incident_info(row: Any) -> IncidentInfo:
    return IncidentInfo(
        id=row.id,
        instance_id=row.instance_id,
        element_id=row.element_id,
        message=row.message,
        details=row.details,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


def event_info(row: Any) -> EventInfo:
    return EventInfo(
        id=row.id, at=row.at, kind=row.kind, actor=row.actor, element_id=row.element_id, details=row.details
    )


def instance_info(row: Any) -> InstanceInfo:
    """From a row of the instance's list columns, or from an ``InstanceRecord``."""
    return InstanceInfo(
        id=row.id,
        business_key=row.business_key,
        process_key=row.process_key,
        version=row.version,
        status=cast(InstanceStatus, row.status),
        outcome=row.outcome,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )
