"""Batch runs and their cases: recorded when a run is prepared or started, claimed case by case by a
worker (a lease in wall-clock time), each case's outcome written after its own transaction, read
back for the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, exists, func, insert, select, text, update

from .db import AnyRow
from .models import TABLES

_run = TABLES["batch_run"]
_item = TABLES["batch_item"]
_instance = TABLES["process_instance"]
_event = TABLES["event"]

ANALYZE_AFTER = 10_000  # cases of a new run after which PostgreSQL's statistics are refreshed
OPEN = ("running", "stopped")  # runs whose cases may still be worked (a stopped one: those under way)
_PENDING = (_item.c.batch_id == bindparam("b_id"), _item.c.outcome == "pending")
_ANY_PENDING = exists().where(*_PENDING)


def batch(connection: Connection, batch_id: int) -> AnyRow | None:
    return connection.execute(select(_run).where(_run.c.id == batch_id)).one_or_none()


def batch_items(
    connection: Connection,
    batch_id: int,
    outcome: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[AnyRow]:
    """The cases of a run in order (only those of ``outcome`` when given), ``limit`` from ``offset``."""
    query = select(_item).where(_item.c.batch_id == batch_id)
    if outcome is not None:
        query = query.where(_item.c.outcome == outcome)
    query = query.order_by(_item.c.position).offset(offset).limit(limit)
    return list(connection.execute(query).all())


def batch_instance_ids(connection: Connection, batch_id: int) -> list[int]:
    """The case ids of a run, in order."""
    query = select(_item.c.instance_id).where(_item.c.batch_id == batch_id).order_by(_item.c.position)
    return list(connection.execute(query).scalars())


def outcome_counts(connection: Connection, batch_id: int) -> dict[str, int]:
    """How many cases of the run are pending, ok, failed, skipped (the outcomes present)."""
    query = (
        select(_item.c.outcome, func.count()).where(_item.c.batch_id == batch_id).group_by(_item.c.outcome)
    )
    return {row[0]: int(row[1]) for row in connection.execute(query)}


def instance_keys(connection: Connection, ids: Sequence[int]) -> dict[int, AnyRow]:
    """Id → (id, business_key, process_key, version, status) of the instances among ``ids``."""
    columns = (_instance.c.id, _instance.c.business_key, _instance.c.process_key, _instance.c.version)
    query = select(*columns, _instance.c.status).where(_instance.c.id.in_(bindparam("ids", expanding=True)))
    found: dict[int, AnyRow] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        for row in connection.execute(query, {"ids": list(ids[start : start + 500])}):
            found[row.id] = row
    return found


def open_runs(connection: Connection) -> list[int]:
    """Runs with cases to work: running ones, and stopped ones whose cases under way are not settled."""
    query = select(_run.c.id).where(_run.c.status.in_(OPEN), _run.c.finished_at.is_(None)).order_by(_run.c.id)
    return list(connection.execute(query).scalars())


def has_pending(connection: Connection, batch_id: int) -> bool:
    return bool(connection.execute(select(_ANY_PENDING), {"b_id": batch_id}).scalar())


def acted_in_batch(connection: Connection, instance_id: int, kinds: Sequence[str], batch_id: int) -> bool:
    """Whether the case's audit trail has an event of ``kinds`` written by the batch run ``batch_id``."""
    query = select(_event.c.details).where(_event.c.instance_id == instance_id, _event.c.kind.in_(kinds))
    return any(
        isinstance(details, dict) and details.get("batch_id") == batch_id
        for details in connection.execute(query).scalars()
    )


class BatchRepository:
    def __init__(self, connection: Connection, lock_rows: bool) -> None:
        self._connection = connection
        self._lock_rows = lock_rows

    def create(
        self,
        action: str,
        reason: str,
        actor: str,
        actor_role: str,
        filter_query: str | None,
        cases: Sequence[tuple[int, str | None]],
        at: datetime,
        status: str,
        target_version: int | None = None,
    ) -> int:
        """A new run (``prepared`` or ``running``) with its cases (id, business key) pending, in order;
        ``target_version``: the version a ``migrate`` run moves its cases to."""
        batch_id: int = self._connection.execute(
            insert(_run)
            .values(
                action=action,
                reason=reason,
                actor=actor,
                actor_role=actor_role,
                filter_query=filter_query,
                total=len(cases),
                status=status,
                created_at=at,
                target_version=target_version,
            )
            .returning(_run.c.id)
        ).scalar_one()
        for start in range(0, len(cases), 5000):  # bounded statements (and memory); one transaction
            rows = [
                {
                    "batch_id": batch_id,
                    "position": position,
                    "instance_id": instance_id,
                    "business_key": key,
                    "outcome": "pending",
                    "attempts": 0,
                }
                for position, (instance_id, key) in enumerate(cases[start : start + 5000], start)
            ]
            self._connection.execute(insert(_item), rows)
        if self._lock_rows and len(cases) >= ANALYZE_AFTER:
            # PostgreSQL plans the worker's claim from the statistics of the pending cases: taken
            # while few were pending (the migration's index on a table of ended runs), they make it
            # sort every pending case of a large run at each claim (230 ms instead of 5 ms for
            # 100,000) until autovacuum analyzes the table again
            self._connection.execute(text("ANALYZE batch_item"))
        return batch_id

    def start_prepared(self, batch_id: int, actor: str, reason: str, at: datetime) -> bool:
        """Start ``actor``'s prepared run with ``reason``; False when it is not (or no longer) prepared."""
        result = self._connection.execute(
            update(_run)
            .where(_run.c.id == batch_id, _run.c.status == "prepared", _run.c.actor == actor)
            .values(status="running", reason=reason, created_at=at)
        )
        return bool(result.rowcount)

    def lock(self, batch_id: int) -> AnyRow | None:
        """The run, locked until commit on PostgreSQL (outcomes and a stop of one run take turns)."""
        query = select(_run).where(_run.c.id == batch_id)
        if self._lock_rows:
            query = query.with_for_update()
        return self._connection.execute(query).one_or_none()

    def claim(self, batch_id: int, worker: str, lease_now: datetime, until: datetime) -> AnyRow | None:
        """Claim the run's next case to work until ``until``: pending, and unclaimed or its lease run
        out before ``lease_now``. Row (position, instance_id, attempts so far, the run's action,
        reason, actor, actor_role, status, created_at, target_version), or None when there is none to take.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several workers claim side by side, each
        passing over the case another is claiming; on SQLite the write lock does that. The update
        says the same conditions again, so a case is claimed by one worker only either way.
        """
        free = (_item.c.claimed_by.is_(None)) | (_item.c.lease_until < lease_now)
        query = (
            select(_item.c.position)
            .join(_run, _run.c.id == _item.c.batch_id)
            .where(_item.c.batch_id == batch_id, _item.c.outcome == "pending", free, _run.c.status.in_(OPEN))
            .order_by(_item.c.position)
            .limit(1)
        )
        if self._lock_rows:
            query = query.with_for_update(of=_item, skip_locked=True)
        position = self._connection.execute(query).scalar()
        if position is None:
            return None
        claimed = self._connection.execute(
            update(_item)
            .where(
                _item.c.batch_id == batch_id,
                _item.c.position == position,
                _item.c.outcome == "pending",
                free,
            )
            .values(claimed_by=worker, lease_until=until, attempts=_item.c.attempts + 1)
        )
        if not claimed.rowcount:
            return None
        query = (
            select(
                _item.c.position,
                _item.c.instance_id,
                _item.c.attempts,
                _run.c.id.label("batch_id"),
                _run.c.action,
                _run.c.reason,
                _run.c.actor,
                _run.c.actor_role,
                _run.c.status,
                _run.c.created_at,
                _run.c.target_version,
            )
            .join(_run, _run.c.id == _item.c.batch_id)
            .where(_item.c.batch_id == batch_id, _item.c.position == position)
        )
        return self._connection.execute(query).one()

    def record(
        self, batch_id: int, position: int, worker: str, outcome: str, message: str | None, at: datetime
    ) -> bool:
        """Write the outcome of a case ``worker`` holds, and end the run after its last case.

        False when the case is no longer the worker's (its lease ran out and another took it).
        """
        self.lock(batch_id)
        result = self._connection.execute(
            update(_item)
            .where(
                _item.c.batch_id == batch_id,
                _item.c.position == position,
                _item.c.outcome == "pending",
                _item.c.claimed_by == worker,
            )
            .values(outcome=outcome, message=message, done_at=at, claimed_by=None, lease_until=None)
        )
        if not result.rowcount:
            return False
        self.finish_if_done(batch_id, at)
        return True

    def finish_if_done(self, batch_id: int, at: datetime) -> bool:
        """End the run (``finished``, or a stopped one's end time) when none of its cases is pending."""
        result = self._connection.execute(
            update(_run)
            .where(_run.c.id == batch_id, _run.c.finished_at.is_(None), ~_ANY_PENDING)
            .values(
                finished_at=at,
                status=case((_run.c.status == "running", "finished"), else_=_run.c.status),
            ),
            {"b_id": batch_id},
        )
        return bool(result.rowcount)

    def stop(self, batch_id: int, actor: str, message: str, at: datetime) -> int | None:
        """Stop a running run: its cases not under way become ``skipped``; None when it is not running.

        A case a worker holds is left to it: the worker writes what its command did.
        """
        run = self.lock(batch_id)
        if run is None or run.status != "running":
            return None
        self._connection.execute(
            update(_run)
            .where(_run.c.id == batch_id)
            .values(status="stopped", stopped_at=at, stopped_by=actor)
        )
        skipped = self._connection.execute(
            update(_item)
            .where(_item.c.batch_id == batch_id, _item.c.outcome == "pending", _item.c.claimed_by.is_(None))
            .values(outcome="skipped", message=message, done_at=at)
        ).rowcount
        self.finish_if_done(batch_id, at)
        return int(skipped or 0)

    def remove_before(self, before: datetime, prepared_before: datetime) -> int:
        """Forget ended runs started before ``before`` and previews never started from before
        ``prepared_before`` (their cases first: SQLite may not cascade); running runs stay."""
        old = (_run.c.status.in_(("finished", "stopped")) & (_run.c.created_at < before)) | (
            (_run.c.status == "prepared") & (_run.c.created_at < prepared_before)
        )
        self._connection.execute(delete(_item).where(_item.c.batch_id.in_(select(_run.c.id).where(old))))
        return int(self._connection.execute(delete(_run).where(old)).rowcount or 0)

    def count(self) -> int:
        return int(self._connection.execute(select(func.count()).select_from(_run)).scalar_one())
