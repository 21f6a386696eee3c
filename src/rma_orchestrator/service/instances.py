"""Starting, reading, listing, cancelling, suspending and resuming process instances."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ..engine.step import Cancel, Run
from ..errors import Conflict, InvalidData, NotFound
from ..store import definitions as stored_definitions
from ..store import limits, queries
from ..store.instances import InstanceRecord, InstanceWrite, NewInstance
from ..store.products import ProductRepository
from . import attachments, case_records, permissions, products
from .context import Actor, Services
from .forms import validate_form
from .inputs import check_data, check_id, check_text, check_texts
from .instance_step import carry_cached_workflow, retried_on_conflict, run_step, take_first_step, write_step
from .paging import check_paging
from .results import EventInfo, InstanceDetail, InstanceInfo, Page
from .rows import build, event_info, incident_info, instance_info, task_info, timer_info
from .timers import fire_due_timers

STATUSES = ("running", "completed", "cancelled", "suspended", "error")


@retried_on_conflict
def start_instance(
    services: Services,
    process_key: str,
    data: dict[str, Any] | None,
    actor: Actor,
    business_key: str | None = None,
) -> InstanceInfo:
    """Start the latest version of ``process_key``; the first steps run before this returns."""
    permissions.require_may_start(actor)
    check_text("process_key", process_key, limits.PROCESS_KEY)
    check_text("business_key", business_key, limits.BUSINESS_KEY, required=False)
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "data", "message": "must be a JSON object"}]
        )
    check_data("", data)
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        row = stored_definitions.latest_definition(uow.connection, process_key)
        if row is None:
            raise NotFound(f"process {process_key!r} is not deployed")
        definition = services.definitions.get(row.id)
        staged: list[int] = []
        if definition.start_form:
            validate_form(definition, definition.start_form, data, now)
            staged = attachments.staged_for_start(uow, definition, definition.start_form, data, actor)
        data = case_records.with_product_history(uow, data)  # after the form: the service adds it
        prepared = take_first_step(services, row.id, data)  # before any write: no lock while it runs
        uow.begin_writing()
        first = InstanceWrite(
            state="",
            data=data,
            element_states={},
            projection={},
            status="running",
            outcome=None,
            ended_at=None,
            next_due_at=None,  # the first step's write sets it
        )
        day = now.astimezone(ZoneInfo(services.settings.business_tz)).strftime("%Y%m%d")
        instance = None
        while instance is None:  # a generated key someone already chose by hand is skipped
            key = business_key or uow.instances.next_business_key(day)
            new = NewInstance(
                row.id, row.process_key, row.version, key, now, actor.name, _business_fields(data)
            )
            instance = uow.instances.insert(new, first)
            if instance is None and business_key is not None:
                raise Conflict(f"business key {business_key} is already used")
        uow.events.record(
            instance.id,
            "instance_started",
            now,
            actor.name,
            None,
            process_key=row.process_key,
            version=row.version,
        )
        attachments.link_staged(uow, staged, instance.id, actor, now)
        case_records.link_started_case(uow, instance, data, now)
        write_step(services, uow, instance, prepared, actor.name, "start")
        uow.commit()
        return instance_info(instance)


def get_instance(services: Services, instance_id: int, actor: Actor) -> InstanceDetail:
    permissions.require_may_read_cases(actor)
    _check_instance_id(instance_id)
    with services.database.reading() as connection:
        row = queries.instance(connection, instance_id)
        if row is None:
            raise NotFound.of("instance_not_found", instance=instance_id)
        details = permissions.sees_incident_details(actor)
        return build(
            InstanceDetail,
            row,
            tasks=[task_info(t) for t in queries.open_tasks(connection, instance_id)],
            timers=[timer_info(t) for t in queries.pending_timers(connection, instance_id)],
            incidents=[incident_info(i, details) for i in queries.incidents_of(connection, instance_id)],
            product=products.product_of_case(ProductRepository(connection), row.data),
        )


def list_instances(
    services: Services,
    actor: Actor,
    status: str | None = None,
    process_key: str | None = None,
    business_key: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[InstanceInfo]:
    permissions.require_may_read_cases(actor)
    if status is not None and status not in STATUSES:
        raise InvalidData(
            "unknown status", [{"field": "status", "message": f"must be one of {', '.join(STATUSES)}"}]
        )
    check_texts(
        {
            "process_key": (process_key, limits.PROCESS_KEY),
            "business_key": (business_key, limits.BUSINESS_KEY),
        }
    )
    check_paging(page, per_page)
    with services.database.reading() as connection:
        rows, total = queries.list_instances(connection, status, process_key, business_key, page, per_page)
    return Page([instance_info(r) for r in rows], total, page, per_page)


def list_events(services: Services, instance_id: int, actor: Actor) -> Page[EventInfo]:
    permissions.require_may_read_cases(actor)
    _check_instance_id(instance_id)
    with services.database.reading() as connection:
        if not queries.instance_exists(connection, instance_id):
            raise NotFound.of("instance_not_found", instance=instance_id)
        events = [event_info(r) for r in queries.events_of(connection, instance_id)]
    return Page(events, len(events), 1, max(len(events), 1))


@retried_on_conflict
def cancel_instance(
    services: Services,
    instance_id: int,
    actor: Actor,
    reason: str | None = None,
    batch_id: int | None = None,
) -> InstanceInfo:
    """Cancel a case; ``reason`` (the monitor asks for one) goes into the audit trail."""
    permissions.require_may_manage_instances(actor)
    _check_instance_id(instance_id)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        instance = uow.instances.lock(instance_id)
        if instance.ended:
            raise Conflict.of("instance_ended", instance=instance_id, status=instance.status)
        run_step(services, uow, instance, Cancel(), actor.name, "cancel", status="cancelled")
        uow.events.record(instance.id, "instance_cancelled", now, actor.name, **_because(reason, batch_id))
        uow.commit()
        return instance_info(instance)


def suspend_instance(
    services: Services,
    instance_id: int,
    actor: Actor,
    reason: str | None = None,
    batch_id: int | None = None,
) -> InstanceInfo:
    permissions.require_may_manage_instances(actor)
    _check_instance_id(instance_id)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    with services.clock.pinned() as now, services.uow() as uow:
        instance = uow.instances.lock(instance_id)
        if instance.status not in ("running", "error"):
            raise Conflict.of("not_suspendable", instance=instance_id, status=instance.status)
        carry_cached_workflow(services, uow, instance)
        uow.instances.set_status(instance, "suspended")
        uow.events.record(instance.id, "instance_suspended", now, actor.name, **_because(reason, batch_id))
        uow.commit()
        return instance_info(instance)


def resume_instance(
    services: Services,
    instance_id: int,
    actor: Actor,
    reason: str | None = None,
    batch_id: int | None = None,
) -> InstanceInfo:
    """Resume and catch up: timers that fell due meanwhile fire in due order, kept messages arrive."""
    permissions.require_may_manage_instances(actor)
    _check_instance_id(instance_id)
    check_text("reason", reason, limits.ACTION_REASON, required=False)
    with services.clock.pinned() as now:
        with services.uow() as uow:
            instance = uow.instances.lock(instance_id)
            if instance.status != "suspended":
                raise Conflict.of("not_suspended", instance=instance_id, status=instance.status)
            carry_cached_workflow(services, uow, instance)
            uow.instances.set_status(
                instance, "error" if uow.incidents.open_count(instance_id) else "running"
            )
            uow.events.record(instance.id, "instance_resumed", now, actor.name, **_because(reason, batch_id))
            uow.commit()
        if instance.status == "running":
            fire_due_timers(services, now, instance_id=instance_id)
            instance = _run_on(services, instance_id, actor)
        return instance_info(instance)


def _because(reason: str | None, batch_id: int | None = None) -> dict[str, Any]:
    """The audit detail of a manager's action: its reason, when one was given, and the batch run it
    was part of (a batch worker that takes over a case looks for it, so as never to act twice)."""
    details: dict[str, Any] = {"reason": reason} if reason else {}
    if batch_id is not None:
        details["batch_id"] = batch_id
    return details


@retried_on_conflict
def _run_on(services: Services, instance_id: int, actor: Actor) -> InstanceRecord:
    """Let a resumed instance run what waits to run (kept messages, work left when it was suspended)."""
    with services.uow(optimistic=True) as uow:
        instance = uow.instances.lock(instance_id)
        if instance.status == "running":
            run_step(services, uow, instance, Run(), actor.name, "resume")
        uow.commit()
        return instance


def _check_instance_id(instance_id: int) -> None:
    check_id("process instance", instance_id, limits.INSTANCE_ID)


def _business_fields(data: dict[str, Any]) -> dict[str, str | None]:
    """Copies of a few data fields for lists, cut to their columns (the data keeps them whole)."""
    customer: dict[str, Any] = data["customer"] if isinstance(data.get("customer"), dict) else {}
    product: dict[str, Any] = data["product"] if isinstance(data.get("product"), dict) else {}
    return {
        "order_no": _short(data.get("order_no"), limits.ORDER_NO),
        "customer_name": _short(customer.get("name"), limits.CUSTOMER_NAME),
        "customer_phone": _short(customer.get("phone"), limits.CUSTOMER_PHONE),
        "kind": _short(data.get("kind"), limits.KIND),
        "product_category": _short(product.get("category"), limits.PRODUCT_CATEGORY),
        "product_name": _short(product.get("name"), limits.PRODUCT_NAME),
        "reason": _short(data.get("reason"), limits.REASON),
    }


def _short(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None
