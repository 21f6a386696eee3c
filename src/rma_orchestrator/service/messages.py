"""Messages from customers and partners, correlated by business key, delivered once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..engine.step import DeliverMessage
from ..errors import Conflict, DuplicateDelivery
from ..store import limits
from . import permissions
from .context import Actor, Services
from .inputs import check_data, check_texts
from .instance_step import carry_cached_workflow, retried_on_conflict, run_step
from .projection import Projection
from .results import Delivery

KEEP_FOR = timedelta(days=30)


def deliver_message(
    services: Services,
    name: str,
    business_key: str,
    payload: Any,
    actor: Actor,
    idempotency_key: object = None,
) -> Delivery:
    """Deliver to the instance waiting for ``name``, or keep it until it waits.

    The arguments are checked here, not only typed: callers pass what a client sent.
    """
    permissions.require_may_send_messages(actor)
    check_texts(
        {
            "name": (name, limits.MESSAGE_NAME),
            "business_key": (business_key, limits.BUSINESS_KEY),
            "idempotency_key": (idempotency_key, limits.IDEMPOTENCY_KEY),
        },
        required=frozenset({"name", "business_key"}),
    )
    assert idempotency_key is None or isinstance(idempotency_key, str)  # checked just above
    payload = payload if payload is not None else {}
    check_data("payload", payload)
    try:
        return _deliver(services, name, business_key, payload, actor, idempotency_key)
    except DuplicateDelivery:
        # A concurrent delivery with the same idempotency key won the race: answer as it did.
        return _deliver(services, name, business_key, payload, actor, idempotency_key)


@retried_on_conflict
def _deliver(
    services: Services, name: str, business_key: str, payload: Any, actor: Actor, idempotency_key: str | None
) -> Delivery:
    with services.clock.pinned() as now, services.uow(optimistic=True) as uow:
        if idempotency_key is not None:
            earlier = uow.inbox.status_for_idempotency_key(idempotency_key)
            if earlier is not None:
                return Delivery(delivered=earlier == "delivered", duplicate=True)
        instance = uow.instances.lock_by_business_key(business_key)
        if instance.ended:
            raise Conflict.of("case_ended", business_key=business_key, status=instance.status)
        delivered = False
        before_step = uow.events.position()
        if instance.status == "running" and Projection.load(instance.projection).waits_for(name):
            # A wait of that name is open; whether it takes this message (correlation) the engine decides.
            outcome = run_step(services, uow, instance, DeliverMessage(name, payload), actor.name, "message")
            delivered = outcome.result.accepted
        uow.inbox.insert(
            name,
            business_key,
            payload,
            idempotency_key,
            now,
            now + KEEP_FOR,
            actor.name,
            delivered_to=instance.id if delivered else None,
        )
        if delivered:
            uow.events.record(instance.id, "message_received", now, actor.name, None, before_step, name=name)
        else:
            uow.events.record(instance.id, "message_kept", now, actor.name, None, before_step, name=name)
            projection = Projection.load(instance.projection)
            projection.kept += 1
            carry_cached_workflow(services, uow, instance)
            uow.instances.set_projection(instance, projection.dump())
        uow.commit()
        return Delivery(delivered=delivered)
