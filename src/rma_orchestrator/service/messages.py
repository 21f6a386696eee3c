"""Messages from customers and partners, correlated by business key, delivered once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..engine import runtime
from ..errors import Conflict, InvalidData
from ..store.models import MessageInbox
from . import audit, steps
from .context import Actor, Services
from .permissions import require_role

KEEP_FOR = timedelta(days=30)


def deliver_message(
    services: Services,
    name: str,
    business_key: str,
    payload: Any,
    actor: Actor,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Deliver to the instance waiting for ``name``, or keep it until it waits; ``{delivered}``."""
    require_role(actor, "staff", "manager")
    errors = []
    if not isinstance(name, str) or not name:
        errors.append({"field": "name", "message": "name is required"})
    if not isinstance(business_key, str) or not business_key:
        errors.append({"field": "business_key", "message": "business_key is required"})
    if idempotency_key is not None and not isinstance(idempotency_key, str):
        errors.append({"field": "idempotency_key", "message": "must be a string"})
    if errors:
        raise InvalidData("invalid message", errors)
    payload = payload if payload is not None else {}
    try:
        return _deliver(services, name, business_key, payload, actor, idempotency_key)
    except IntegrityError:
        # A concurrent delivery with the same idempotency key won the race: answer as it did.
        return _deliver(services, name, business_key, payload, actor, idempotency_key)


def _deliver(
    services: Services, name: str, business_key: str, payload: Any, actor: Actor, idempotency_key: str | None
) -> dict[str, Any]:
    with services.clock.pinned() as now, services.uow() as uow:
        session = uow.session
        if idempotency_key is not None:
            earlier = session.scalar(
                select(MessageInbox).where(MessageInbox.idempotency_key == idempotency_key)
            )
            if earlier is not None:
                return {"delivered": earlier.status == "delivered", "duplicate": True}
        instance = uow.lock_instance_by_business_key(business_key)
        if instance.status in ("completed", "cancelled"):
            raise Conflict(f"case {business_key} has already ended ({instance.status})")
        inbox = MessageInbox(
            name=name,
            business_key=business_key,
            payload=payload,
            idempotency_key=idempotency_key,
            received_at=now,
            expires_at=now + KEEP_FOR,
            status="pending",
            actor=actor.name,
        )
        session.add(inbox)
        session.flush()
        delivered = False
        if instance.status == "running":
            workflow = steps.restore(services, instance)
            if runtime.waits_for_message(workflow, name):
                inbox.status, inbox.delivered_at, inbox.instance_id = "delivered", now, instance.id
                audit.record(session, instance.id, "message_received", now, actor.name, None, name=name)
                steps.apply(
                    services,
                    uow,
                    instance,
                    lambda wf: runtime.deliver_message(wf, name, payload),
                    actor.name,
                    "message",
                    workflow,
                )
                delivered = True
        if not delivered:
            audit.record(session, instance.id, "message_kept", now, actor.name, None, name=name)
            instance.projection = {**instance.projection, "kept": instance.projection.get("kept", 0) + 1}
        uow.commit()
        return {"delivered": delivered}
