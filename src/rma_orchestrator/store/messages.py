"""The message inbox: every message received, kept until a wait takes it, and its idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DuplicateDelivery
from .models import TABLES

_inbox = TABLES["message_inbox"]

_BY_IDEMPOTENCY_KEY = select(_inbox.c.status).where(_inbox.c.idempotency_key == bindparam("key"))
_INSERT = insert(_inbox).returning(_inbox.c.id)
_MARK_DELIVERED = (
    update(_inbox)
    .where(_inbox.c.id == bindparam("b_id"))
    .values(status="delivered", delivered_at=bindparam("at"), instance_id=bindparam("instance_id"))
)
_KEPT = (
    select(_inbox.c.id, _inbox.c.name, _inbox.c.payload, _inbox.c.actor)
    .where(
        _inbox.c.business_key == bindparam("key"),
        _inbox.c.status == "pending",
        _inbox.c.expires_at > bindparam("now"),
    )
    .order_by(_inbox.c.id)
)


@dataclass(frozen=True, slots=True)
class KeptMessage:
    id: int
    name: str
    payload: Any
    actor: str | None


class InboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def status_for_idempotency_key(self, key: str) -> str | None:
        """The status of the earlier message with this key (``pending`` | ``delivered``), if any."""
        return self._connection.execute(_BY_IDEMPOTENCY_KEY, {"key": key}).scalar_one_or_none()

    def insert(
        self,
        name: str,
        business_key: str,
        payload: Any,
        idempotency_key: str | None,
        received_at: datetime,
        expires_at: datetime,
        actor: str,
        delivered_to: int | None = None,
    ) -> int:
        """Record a received message, delivered to an instance or pending (kept).

        DuplicateDelivery if its idempotency key raced another delivery's.
        """
        values = {
            "name": name,
            "business_key": business_key,
            "payload": payload,
            "idempotency_key": idempotency_key,
            "received_at": received_at,
            "expires_at": expires_at,
            "status": "pending" if delivered_to is None else "delivered",
            "instance_id": delivered_to,
            "delivered_at": received_at if delivered_to is not None else None,
            "actor": actor,
        }
        try:
            return int(self._connection.execute(_INSERT, values).scalar_one())
        except IntegrityError:  # the transaction is lost: the caller runs the command again
            raise DuplicateDelivery(
                f"a message with idempotency key {idempotency_key} arrived meanwhile"
            ) from None

    def mark_delivered(self, message_ids: list[int], at: datetime, instance_id: int) -> None:
        if message_ids:
            self._connection.execute(
                _MARK_DELIVERED, [{"b_id": i, "at": at, "instance_id": instance_id} for i in message_ids]
            )

    def kept_for(self, business_key: str, now: datetime) -> list[KeptMessage]:
        """Messages kept for this business key, oldest first."""
        rows = self._connection.execute(_KEPT, {"key": business_key, "now": now}).all()
        return [KeptMessage(row.id, row.name, row.payload, row.actor) for row in rows]
