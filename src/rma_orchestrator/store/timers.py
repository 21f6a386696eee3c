"""Timer rows as the scheduler sees them: claim what is due, renew a lease, look one up, release or fail it.

A claim is a lease: ``claimed_until`` is wall-clock time (never the controlled clock, which only
moves when told), renewed by the live process that holds it; an expired one may be claimed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update

from .db import AnyRow
from .models import TABLES

_timer = TABLES["timer"]
_instance = TABLES["process_instance"]

_DUE = (
    select(_timer.c.id)
    .join(_instance, _instance.c.id == _timer.c.instance_id)
    .where(
        _timer.c.due_at <= bindparam("now"),
        _instance.c.status == "running",
        (_timer.c.status == "pending")
        | ((_timer.c.status == "claimed") & (_timer.c.claimed_until < bindparam("lease_now"))),
    )
    .order_by(_timer.c.due_at, _timer.c.id)
)
_ANY_DUE = _DUE.order_by(None).limit(1)
_CLAIM = (
    update(_timer)
    .where(_timer.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status="claimed",
        claimed_by=bindparam("worker"),
        claimed_until=bindparam("until"),
        attempts=_timer.c.attempts + 1,
    )
)
_RENEW = (
    update(_timer)
    .where(
        _timer.c.id.in_(bindparam("ids", expanding=True)),
        _timer.c.status == "claimed",
        _timer.c.claimed_by == bindparam("worker"),
    )
    .values(claimed_until=bindparam("until"))
)
_TIMER = select(
    _timer.c.id,
    _timer.c.instance_id,
    _timer.c.element_id,
    _timer.c.due_at,
    _timer.c.status,
    _timer.c.claimed_by,
    _timer.c.attempts,
).where(_timer.c.id == bindparam("id"))
_SET_STATUS = update(_timer).where(_timer.c.id == bindparam("b_id")).values(status=bindparam("status"))
_RELEASE = (
    update(_timer)
    .where(_timer.c.id == bindparam("b_id"))
    .values(status="pending", claimed_by=None, claimed_until=None, attempts=0)
)
_PENDING_OF_RUNNING = (_timer.c.status == "pending", _instance.c.status == "running")
_NEXT_DUE = (
    select(func.min(_timer.c.due_at))
    .join(_instance, _instance.c.id == _timer.c.instance_id)
    .where(*_PENDING_OF_RUNNING, _timer.c.due_at <= bindparam("until"))
)
_UPCOMING = (
    select(_timer.c.id, _timer.c.due_at)
    .join(_instance, _instance.c.id == _timer.c.instance_id)
    .where(*_PENDING_OF_RUNNING, _timer.c.due_at < bindparam("until"))
    .order_by(_timer.c.due_at)
)


class TimerRepository:
    def __init__(self, connection: Connection, lock_rows: bool) -> None:
        self._connection = connection
        self._lock_rows = lock_rows

    def claim_due(
        self,
        now: datetime,
        lease_now: datetime,
        until: datetime,
        worker: str,
        limit: int,
        instance_id: int | None = None,
        timer_id: int | None = None,
    ) -> list[int]:
        """Claim up to ``limit`` timers due at ``now`` of running instances, oldest first, until ``until``.

        Claims whose lease ran out before ``lease_now`` (wall-clock) are claimed again.
        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several processes claim side by side
        without waiting for or taking each other's rows; on SQLite the write lock does that.
        """
        query = _DUE.limit(limit)
        if instance_id is not None:
            query = query.where(_timer.c.instance_id == instance_id)
        if timer_id is not None:
            query = query.where(_timer.c.id == timer_id)
        if self._lock_rows:
            query = query.with_for_update(of=_timer, skip_locked=True)
        ids = list(self._connection.execute(query, {"now": now, "lease_now": lease_now}).scalars())
        if ids:
            self._connection.execute(_CLAIM, {"ids": ids, "worker": worker, "until": until})
        return ids

    def renew(self, timer_ids: list[int], worker: str, until: datetime) -> int:
        """Extend ``worker``'s leases on ``timer_ids`` to ``until``; how many are still its own.

        A claim another process took over (its name in ``claimed_by``) or that ended (fired,
        released) is left as it is: a renewal never takes a claim back.
        """
        if not timer_ids:
            return 0
        result = self._connection.execute(_RENEW, {"ids": timer_ids, "worker": worker, "until": until})
        return result.rowcount

    def get(self, timer_id: int) -> AnyRow | None:
        """id, instance_id, element_id, due_at, status, claimed_by, attempts (claims so far): as of now."""
        return self._connection.execute(_TIMER, {"id": timer_id}).one_or_none()

    def set_status(self, timer_id: int, status: str) -> None:
        self._connection.execute(_SET_STATUS, {"b_id": timer_id, "status": status})

    def release(self, timer_id: int) -> None:
        """Give a claimed timer back (its instance does not take timers now)."""
        self._connection.execute(_RELEASE, {"b_id": timer_id})


def any_due(connection: Connection, now: datetime, lease_now: datetime) -> bool:
    """Whether some timer is there to claim: due at ``now``, pending or with its lease run out.

    One row from the (status, due_at) index: cheap enough to ask several times a second.
    """
    found = connection.execute(_ANY_DUE, {"now": now, "lease_now": lease_now}).first()
    return found is not None


def next_due(connection: Connection, until: datetime) -> datetime | None:
    """The earliest due time of a pending timer of a running instance, up to ``until``."""
    value: datetime | None = connection.execute(_NEXT_DUE, {"until": until}).scalar()
    return value


def upcoming(connection: Connection, until: datetime) -> list[tuple[int, datetime]]:
    """Pending timers of running instances due before ``until``, in due order."""
    return [(row.id, row.due_at) for row in connection.execute(_UPCOMING, {"until": until})]
