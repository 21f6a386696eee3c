"""Incidents: failed steps, listed and retried with corrected data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..engine import runtime
from ..errors import Conflict, InvalidData, NotFound
from ..store.models import Incident
from . import audit, steps
from .context import Actor, Services
from .instances import paginate
from .permissions import require_role
from .views import incident_view


def list_incidents(
    services: Services, actor: Actor, resolved: bool | None = False, page: int = 1, per_page: int = 50
) -> dict[str, Any]:
    query = select(Incident)
    if resolved is not None:
        query = query.where(Incident.resolved_at.is_not(None) if resolved else Incident.resolved_at.is_(None))
    return paginate(services, query, incident_view, [Incident.id], page, per_page)


def retry_incident(
    services: Services, incident_id: int, actor: Actor, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge ``data`` into the failed task and run it again; a new failure opens a new incident."""
    require_role(actor, "manager")
    if data is not None and not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "data", "message": "must be a JSON object"}]
        )
    with services.clock.pinned() as now, services.uow() as uow:
        incident = uow.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"incident {incident_id} not found")
        instance = uow.lock_instance(incident.instance_id)
        uow.session.refresh(incident)
        if incident.resolved_at is not None:
            raise Conflict(f"incident {incident_id} is already resolved")
        if instance.status != "error":
            raise Conflict(f"instance {instance.id} is {instance.status}, not in error")
        incident.resolved_at, incident.resolved_by = now, actor.name
        audit.record(
            uow.session,
            instance.id,
            "incident_resolved",
            now,
            actor.name,
            incident.element_id,
            incident_id=incident.id,
        )
        task_id = incident.task_id

        def action(workflow: Any) -> Any:
            if task_id is None:
                return runtime.run(workflow)
            return runtime.retry_task(workflow, task_id, data)

        try:
            error = steps.apply(services, uow, instance, action, actor.name, "retry")
        except KeyError:
            raise Conflict(f"the failed task of incident {incident_id} is no longer in error") from None
        uow.commit()
        result = incident_view(incident)
        result["instance_status"] = instance.status
        result["new_incident"] = error is not None
        return result
