"""The batch worker: works the cases of started batch runs in the background, one case at a time.

``work_on_batches`` takes the open runs in turn (one case of each, round and round, so a small run
is not stuck behind a large one) until no case is left to take. For each case it claims the case
(a short transaction; a lease of ``LEASE`` in wall-clock time), runs the one-case command in that
command's own transaction and writes the outcome (another short one). Several workers, in several
processes on several hosts, may share a PostgreSQL database: a case is claimed by one of them only
(``FOR UPDATE SKIP LOCKED``, and a conditional update on SQLite too).

Never acting twice on a case: each command writes the run's id into the audit event it records,
in its own transaction. A case claimed again (its worker died before writing the outcome, a
restart or a ``kill -9``; its lease ran out) is first looked up in its history: when the run's
event is there, nothing is run again and the case is reported done (retried incidents: done, or
failed naming the incidents open now). A stopped run runs nothing more: a case claimed again after
the stop is settled from its history (done, or skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from ..clock import SystemClock
from ..errors import Conflict, NotFound, RmaError
from ..store import batches as stored
from ..store import queries
from ..store.db import AnyRow
from .case_migration import EVENT_KIND as MIGRATED
from .case_migration import migration_act
from .context import Actor, Services
from .incidents import retry_incident
from .instances import cancel_instance, resume_instance, suspend_instance
from .timers import worker_name

log = logging.getLogger(__name__)
# A case's command takes well under a second; the case of a worker that died waits this long
LEASE = timedelta(seconds=60)
_WALL = SystemClock()  # leases are about workers being alive: never the controlled clock
DONE_BEFORE = "done before its worker was interrupted (see the case's history)"
# The audit event each action writes, with the run's id in its details
EVENT_KINDS = {
    "cancel": ("instance_cancelled",),
    "suspend": ("instance_suspended",),
    "resume": ("instance_resumed",),
    "retry_incidents": ("incident_resolved",),
    "migrate": (MIGRATED,),
}


Act = Callable[[Services, int, Actor, str, int], None]  # services, case, actor, reason, run id


def work_on_batches(
    services: Services,
    worker: str | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    limit: int | None = None,
) -> int:
    """Work the open runs' cases until none is left to take (or ``should_stop``, or ``limit`` cases);
    how many cases got an outcome."""
    worker = worker or worker_name()
    done = 0
    while True:
        with services.database.reading() as connection:
            runs = stored.open_runs(connection)
        progressed = False
        for batch_id in runs:
            if should_stop() or (limit is not None and done >= limit):
                return done
            case = claim_batch_case(services, batch_id, worker)
            if case is None:
                _settle(services, batch_id)
                continue
            work_on_case(services, case, worker)
            done += 1
            progressed = True
        if not progressed:
            return done


def claim_batch_case(
    services: Services, batch_id: int, worker: str, lease: timedelta = LEASE
) -> AnyRow | None:
    """Claim the next case of the run for ``worker`` (None when there is none to take)."""
    lease_now = _WALL.now()
    with services.uow() as uow:
        case = uow.batches.claim(batch_id, worker, lease_now, lease_now + lease)
        uow.commit()
        return case


def work_on_case(services: Services, case: AnyRow, worker: str) -> bool:
    """Act on one claimed case and write its outcome; False when the claim was lost meanwhile."""
    outcome, message = _outcome(services, case)
    with services.uow() as uow:
        kept = uow.batches.record(
            case.batch_id, case.position, worker, outcome, message, services.clock.now()
        )
        uow.commit()
    if not kept:
        log.warning(
            "batch %s case %s: the claim ran out before its outcome was written", case.batch_id, case.position
        )
    return kept


def _outcome(services: Services, case: AnyRow) -> tuple[str, str | None]:
    """What became of the case: its command's outcome, or what an earlier claim of it did."""
    again = case.attempts > 1  # claimed before, by a worker that wrote no outcome
    if again and _acted(services, case):
        return _done_before(services, case)
    if case.status != "running":  # stopped after this case was claimed by a worker that died
        return "skipped", "skipped: the run was stopped before this case"
    actor = Actor(case.actor, case.actor_role or "staff")
    act = migration_act(case.target_version) if case.action == "migrate" else _ACTS[case.action]
    outcome, message = _one(services, act, case.instance_id, actor, case.reason, case.batch_id)
    if outcome == "failed" and again and _acted(services, case):  # the earlier claim's command won
        return _done_before(services, case)
    return outcome, message


def _done_before(services: Services, case: AnyRow) -> tuple[str, str | None]:
    """The outcome of a case an earlier claim acted on (its history has the run's event)."""
    if case.action == "retry_incidents":
        with services.database.reading() as connection:
            still = [
                row.id
                for row in queries.incidents_of(connection, case.instance_id)
                if row.resolved_at is None
            ]
        if still:
            shown = ", ".join(map(str, still))
            message = f"its worker was interrupted after retrying; incident {shown} is open now"
            return "failed", message + " (see the case's history)"
    return "ok", DONE_BEFORE


def _settle(services: Services, batch_id: int) -> None:
    """End a run that has nothing pending left (its last outcome was written beside another's)."""
    with services.database.reading() as connection:
        if stored.has_pending(connection, batch_id):
            return
    with services.uow() as uow:
        uow.batches.finish_if_done(batch_id, services.clock.now())
        uow.commit()


def _acted(services: Services, case: AnyRow) -> bool:
    with services.database.reading() as connection:
        return stored.acted_in_batch(connection, case.instance_id, EVENT_KINDS[case.action], case.batch_id)


def _one(
    services: Services, act: Act, instance_id: int, actor: Actor, reason: str, batch_id: int
) -> tuple[str, str | None]:
    """One case's command: ok, or failed with what the command said (never stops the batch)."""
    try:
        act(services, instance_id, actor, reason, batch_id)
    except RmaError as error:
        return "failed", f"{type(error).__name__}: {error.message}"
    except Exception as error:  # noqa: BLE001 - one case's surprise must not stop the others
        log.exception("batch action on instance %s failed", instance_id)
        return "failed", f"internal error ({type(error).__name__}); see the service log"
    return "ok", None


def _cancel(services: Services, instance_id: int, actor: Actor, reason: str, batch_id: int) -> None:
    cancel_instance(services, instance_id, actor, reason, batch_id=batch_id)


def _suspend(services: Services, instance_id: int, actor: Actor, reason: str, batch_id: int) -> None:
    suspend_instance(services, instance_id, actor, reason, batch_id=batch_id)


def _resume(services: Services, instance_id: int, actor: Actor, reason: str, batch_id: int) -> None:
    resume_instance(services, instance_id, actor, reason, batch_id=batch_id)


def _retry_incidents(services: Services, instance_id: int, actor: Actor, reason: str, batch_id: int) -> None:
    """Retry every open incident of the case, unchanged, each in its own transaction."""
    with services.database.reading() as connection:
        if not queries.instance_exists(connection, instance_id):
            raise NotFound(f"process instance {instance_id} not found")
        incidents = queries.incidents_of(connection, instance_id)
        open_ids = [row.id for row in incidents if row.resolved_at is None]
    if not open_ids:
        raise Conflict(f"instance {instance_id} has no open incident")
    retried = [retry_incident(services, i, actor, None, reason, batch_id=batch_id) for i in open_ids]
    again = [i for i, result in zip(open_ids, retried, strict=True) if result.new_incident]
    if again:
        shown = ", ".join(map(str, again))
        raise Conflict(f"the step failed again (incident {shown} retried, a new one opened)")


_ACTS: dict[str, Act] = {
    "cancel": _cancel,
    "suspend": _suspend,
    "resume": _resume,
    "retry_incidents": _retry_incidents,
}
