"""Starting, reading, listing, cancelling, suspending and resuming process instances."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..engine import runtime
from ..errors import Conflict, InvalidData, NotFound
from ..store.models import (
    BusinessKeyCounter,
    Event,
    HumanTask,
    Incident,
    ProcessInstance,
    Timer,
)
from ..store.uow import UnitOfWork
from . import audit, steps
from .context import Actor, Services
from .definitions import latest_definition
from .forms import validate_form
from .permissions import require_role
from .timers import fire_due_timers
from .views import event_view, incident_view, instance_summary, task_view, timer_view

STATUSES = ("running", "completed", "cancelled", "suspended", "error")


def start_instance(
    services: Services,
    process_key: str,
    data: dict[str, Any] | None,
    actor: Actor,
    business_key: str | None = None,
) -> dict[str, Any]:
    """Start the latest version of ``process_key``; the first steps run before this returns."""
    require_role(actor, "staff", "manager")
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "data", "message": "must be a JSON object"}]
        )
    with services.clock.pinned() as now, services.uow() as uow:
        row = latest_definition(uow.session, process_key)
        definition = services.definitions.get(row.id)
        if definition.start_form:
            validate_form(definition.start_form, definition.forms[definition.start_form], data)
        if business_key is None:
            business_key = _next_business_key(uow, services)
        elif uow.session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.business_key == business_key)
        ):
            raise Conflict(f"business key {business_key} is already used")
        instance = ProcessInstance(
            definition_id=row.id,
            process_key=row.process_key,
            version=row.version,
            business_key=business_key,
            status="running",
            started_at=now,
            started_by=actor.name,
            state="",
            data=data,
            element_states={},
            **_business_fields(data),
        )
        uow.session.add(instance)
        uow.session.flush()
        audit.record(
            uow.session,
            instance.id,
            "instance_started",
            now,
            actor.name,
            None,
            process_key=row.process_key,
            version=row.version,
        )
        workflow = runtime.new_workflow(definition, data, services.script_engine)
        steps.apply(services, uow, instance, lambda wf: runtime.run(wf), actor.name, "start", workflow)
        uow.commit()
        return instance_summary(instance)


def get_instance(services: Services, instance_id: int, actor: Actor) -> dict[str, Any]:
    with services.database.read() as session:
        instance = _get(session, instance_id)
        result = instance_summary(instance)
        result["data"] = instance.data
        result["tasks"] = [
            task_view(t, instance.business_key)
            for t in session.scalars(
                select(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                .order_by(HumanTask.created_at)
            )
        ]
        result["timers"] = [
            timer_view(t)
            for t in session.scalars(
                select(Timer)
                .where(Timer.instance_id == instance_id, Timer.status.in_(("pending", "claimed")))
                .order_by(Timer.due_at)
            )
        ]
        result["incidents"] = [
            incident_view(i)
            for i in session.scalars(
                select(Incident).where(Incident.instance_id == instance_id).order_by(Incident.id)
            )
        ]
        result["element_states"] = instance.element_states
        return result


def list_instances(
    services: Services,
    actor: Actor,
    status: str | None = None,
    process_key: str | None = None,
    business_key: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise InvalidData(
            "unknown status", [{"field": "status", "message": f"must be one of {', '.join(STATUSES)}"}]
        )
    query = select(ProcessInstance)
    if status:
        query = query.where(ProcessInstance.status == status)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    return paginate(services, query, instance_summary, [ProcessInstance.id.desc()], page, per_page)


def list_events(services: Services, instance_id: int, actor: Actor) -> dict[str, Any]:
    with services.database.read() as session:
        _get(session, instance_id)
        rows = session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)).all()
        return {"items": [event_view(r) for r in rows], "total": len(rows)}


def cancel_instance(services: Services, instance_id: int, actor: Actor) -> dict[str, Any]:
    require_role(actor, "manager")
    with services.clock.pinned() as now, services.uow() as uow:
        instance = uow.lock_instance(instance_id)
        if instance.status in ("completed", "cancelled"):
            raise Conflict(f"instance {instance_id} has already ended ({instance.status})")
        workflow = steps.restore(services, instance)
        runtime.cancel(workflow)
        instance.status, instance.ended_at = "cancelled", now  # before write-back: not "completed"
        steps.write_back(services, uow, instance, workflow, actor.name, "cancel", None)
        audit.record(uow.session, instance.id, "instance_cancelled", now, actor.name)
        uow.commit()
        return instance_summary(instance)


def suspend_instance(services: Services, instance_id: int, actor: Actor) -> dict[str, Any]:
    require_role(actor, "manager")
    with services.clock.pinned() as now, services.uow() as uow:
        instance = uow.lock_instance(instance_id)
        if instance.status not in ("running", "error"):
            raise Conflict(
                f"instance {instance_id} is {instance.status}; only running instances can be suspended"
            )
        instance.status = "suspended"
        audit.record(uow.session, instance.id, "instance_suspended", now, actor.name)
        uow.commit()
        return instance_summary(instance)


def resume_instance(services: Services, instance_id: int, actor: Actor) -> dict[str, Any]:
    """Resume and catch up: timers that fell due meanwhile fire in due order, kept messages arrive."""
    require_role(actor, "manager")
    with services.clock.pinned() as now:
        with services.uow() as uow:
            instance = uow.lock_instance(instance_id)
            if instance.status != "suspended":
                raise Conflict(f"instance {instance_id} is {instance.status}, not suspended")
            open_incidents = uow.session.scalar(
                select(func.count())
                .select_from(Incident)
                .where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
            )
            instance.status = "error" if open_incidents else "running"
            audit.record(uow.session, instance.id, "instance_resumed", now, actor.name)
            uow.commit()
        if instance.status == "running":
            fire_due_timers(services, now, instance_id=instance_id)
            with services.uow() as uow:
                instance = uow.lock_instance(instance_id)
                if instance.status == "running":
                    steps.apply(services, uow, instance, lambda wf: runtime.run(wf), actor.name, "resume")
                uow.commit()
        return instance_summary(instance)


def paginate(
    services: Services, query: Any, view: Any, order: Any, page: int, per_page: int, tuples: bool = False
) -> dict[str, Any]:
    """``{items, total, page, per_page}`` for ``query``; ``tuples`` passes each row's columns to ``view``."""
    if page < 1 or not 1 <= per_page <= 200:
        raise InvalidData(
            "bad paging", [{"field": "per_page", "message": "page must be >= 1 and per_page 1..200"}]
        )
    with services.database.read() as session:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        paged = query.order_by(*order).offset((page - 1) * per_page).limit(per_page)
        if tuples:
            items = [view(*row) for row in session.execute(paged).all()]
        else:
            items = [view(row) for row in session.scalars(paged).all()]
        return {"items": items, "total": total, "page": page, "per_page": per_page}


def _get(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    return instance


def _business_fields(data: dict[str, Any]) -> dict[str, Any]:
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    product = data.get("product") if isinstance(data.get("product"), dict) else {}
    return {
        "order_no": _short(data.get("order_no")),
        "customer_name": _short(customer.get("name")),
        "kind": _short(data.get("kind")),
        "product_category": _short(product.get("category")),
    }


def _short(value: Any) -> str | None:
    return str(value)[:120] if value is not None else None


def _next_business_key(uow: UnitOfWork, services: Services) -> str:
    """RMA-YYYYMMDD-NNNN, the date in the business time zone; unique under concurrency.

    One upsert both creates the day's counter and takes the next number atomically; a number
    whose key a caller already chose by hand is skipped.
    """
    day = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).strftime("%Y%m%d")
    insert = pg_insert if not uow.database.is_sqlite else sqlite_insert
    take_next = (
        insert(BusinessKeyCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": BusinessKeyCounter.last + 1})
        .returning(BusinessKeyCounter.last)
    )
    while True:
        number = uow.session.execute(take_next).scalar_one()
        key = f"RMA-{day}-{number:04d}"
        if not uow.session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == key)):
            return key
