"""JSON shapes of the API (DESIGN §7), built from rows."""

from __future__ import annotations

from typing import Any

from ..clock import iso
from ..store.models import Event, HumanTask, Incident, ProcessInstance, Timer


def task_view(row: HumanTask, business_key: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "business_key": business_key,
        "process_key": row.process_key,
        "element_id": row.element_id,
        "name": row.name,
        "group": row.group,
        "assignee": row.assignee,
        "status": row.status,
        "created_at": iso(row.created_at),
        "due_at": iso(row.due_at),
        "completed_at": iso(row.completed_at),
        "completed_by": row.completed_by,
    }


def timer_view(row: Timer) -> dict[str, Any]:
    status = "pending" if row.status == "claimed" else row.status
    return {
        "id": row.id,
        "element_id": row.element_id,
        "process_key": row.process_key,
        "due_at": iso(row.due_at),
        "status": status,
        "fired_at": iso(row.fired_at),
    }


def incident_view(row: Incident) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "element_id": row.element_id,
        "message": row.message,
        "details": row.details,
        "created_at": iso(row.created_at),
        "resolved_at": iso(row.resolved_at),
    }


def event_view(row: Event) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "kind": row.kind,
        "actor": row.actor,
        "element_id": row.element_id,
        "details": row.details,
    }


def instance_summary(row: ProcessInstance) -> dict[str, Any]:
    return {
        "id": row.id,
        "business_key": row.business_key,
        "process_key": row.process_key,
        "version": row.version,
        "status": row.status,
        "outcome": row.outcome,
        "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at),
    }
