"""Batch runs and their cases: written when a batch starts, each case's outcome after its own
transaction, read back for the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from .db import AnyRow
from .models import TABLES

_run = TABLES["batch_run"]
_item = TABLES["batch_item"]
_instance = TABLES["process_instance"]


def batch(connection: Connection, batch_id: int) -> AnyRow | None:
    return connection.execute(select(_run).where(_run.c.id == batch_id)).one_or_none()


def batch_items(connection: Connection, batch_id: int) -> list[AnyRow]:
    query = select(_item).where(_item.c.batch_id == batch_id).order_by(_item.c.position)
    return list(connection.execute(query).all())


def instance_keys(connection: Connection, ids: Sequence[int]) -> dict[int, AnyRow]:
    """Id → (id, business_key, process_key, version, status) of the instances among ``ids``."""
    columns = (_instance.c.id, _instance.c.business_key, _instance.c.process_key, _instance.c.version)
    query = select(*columns, _instance.c.status).where(_instance.c.id.in_(bindparam("ids", expanding=True)))
    found: dict[int, AnyRow] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        for row in connection.execute(query, {"ids": list(ids[start : start + 500])}):
            found[row.id] = row
    return found


class BatchRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def start(
        self,
        action: str,
        reason: str,
        actor: str,
        filter_query: str | None,
        cases: Sequence[tuple[int, str | None]],
        at: datetime,
    ) -> int:
        """A new run with its cases (id, business key) pending, in order; its id."""
        batch_id: int = self._connection.execute(
            insert(_run)
            .values(
                action=action,
                reason=reason,
                actor=actor,
                filter_query=filter_query,
                total=len(cases),
                created_at=at,
            )
            .returning(_run.c.id)
        ).scalar_one()
        if cases:
            self._connection.execute(
                insert(_item),
                [
                    {
                        "batch_id": batch_id,
                        "position": position,
                        "instance_id": instance_id,
                        "business_key": key,
                        "outcome": "pending",
                    }
                    for position, (instance_id, key) in enumerate(cases)
                ],
            )
        return batch_id

    def record(self, batch_id: int, position: int, outcome: str, message: str | None, at: datetime) -> None:
        self._connection.execute(
            update(_item)
            .where(_item.c.batch_id == batch_id, _item.c.position == position)
            .values(outcome=outcome, message=message, done_at=at)
        )

    def finish(self, batch_id: int, at: datetime) -> None:
        self._connection.execute(update(_run).where(_run.c.id == batch_id).values(finished_at=at))

    def remove_before(self, before: datetime) -> int:
        """Forget runs started before ``before`` (their cases first: SQLite may not cascade)."""
        old = select(_run.c.id).where(_run.c.created_at < before)
        self._connection.execute(delete(_item).where(_item.c.batch_id.in_(old)))
        return int(self._connection.execute(delete(_run).where(_run.c.created_at < before)).rowcount or 0)

    def count(self) -> int:
        return int(self._connection.execute(select(func.count()).select_from(_run)).scalar_one())
