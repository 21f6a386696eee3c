"""Incidents: failed steps, listed and retried with corrected data."""

from __future__ import annotations

from typing import Any

from ..engine.step import Retry
from ..errors import Conflict, InvalidData, NotFound
from ..store import limits, queries
from . import permissions
from .context import Actor, Services
from .inputs import check_data, check_id, check_text
from .instance_step import retried_on_conflict, take_step, write_step
from .paging import check_paging
from .results import IncidentInfo, Page, RetryResult
from .rows import build, incident_info


def list_incidents(
    services: Services, actor: Actor, resolved: bool | None = False, page: int = 1, per_page: int = 50
) -> Page[IncidentInfo]:
    permissions.require_may_read_cases(actor)
    check_paging(page, per_page)
    with services.database.reading() as connection:
        rows, total = queries.list_incidents(connection, resolved, page, per_page)
    details = permissions.sees_incident_details(actor)
    return Page([incident_info(r, details) for r in rows], total, page, per_page)


@retried_on_conflict
def retry_incident(
    services: Services,
    incident_id: int,
    actor: Actor,
    data: dict[str, Any] | None = None,
    reason: str | None = None,
    batch_id: int | None = None,
) -> RetryResult:
    """Merge ``data`` into the failed task and run it again; a new failure opens a new incident.

    ``reason`` (the monitor and batch retries ask for one) goes into the ``incident_resolved`` audit event,
    with ``batch_id`` when a batch run retried it.
    """
    permissions.require_may_manage_instances(actor)
    check_id("incident", incident_id, limits.INCIDENT_ID)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    if data is not None and not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "data", "message": "must be a JSON object"}]
        )
    check_data("", data)
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        incident = uow.incidents.get(incident_id)
        if incident is None:
            raise NotFound.of("incident_not_found", incident=incident_id)
        instance = uow.instances.lock(incident.instance_id)
        incident = uow.incidents.get(incident_id)  # read again under the lock
        assert incident is not None
        if incident.resolved_at is not None:
            raise Conflict.of("incident_resolved", incident=incident_id)
        if instance.status != "error":
            raise Conflict.of("not_in_error", instance=instance.id, status=instance.status)
        try:  # the engine first, before any write: no write lock while the process runs
            prepared = take_step(services, uow, instance, Retry(incident.task_id, data))
        except KeyError:
            raise Conflict.of("incident_task_gone", incident=incident_id) from None
        uow.incidents.resolve(incident_id, now, actor.name)
        because: dict[str, Any] = {"reason": reason} if reason else {}
        if batch_id is not None:
            because["batch_id"] = batch_id
        uow.events.record(
            instance.id,
            "incident_resolved",
            now,
            actor.name,
            incident.element_id,
            incident_id=incident_id,
            **because,
        )
        outcome = write_step(services, uow, instance, prepared, actor.name, "retry")
        uow.commit()
        return build(
            RetryResult,
            incident,
            resolved_at=now,
            instance_status=instance.status,
            new_incident=outcome.error is not None,
        )
