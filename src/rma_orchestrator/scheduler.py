"""APScheduler wiring: the alarm clock that wakes the service when a timer is due.

The ``timer`` table is the truth. After each commit the service announces new timers and
an in-memory date job is armed at each due time; a sweep job every few seconds claims what
no alarm caught (timers due while no scheduler ran, claims whose lease ran out) and arms
alarms for what falls due before the next sweep. Announcements reach only this process, so
a poll job asks the database several times a second whether anything is due to be claimed
(one indexed row) and fires it: a timer that a web worker or another host created shortly
before its due time fires within about a poll interval. Claims are atomic in the database
and leased (``service.timers``), so several schedulers can share one database, each timer
fires once, and the claims of a scheduler that died are fired by another within seconds.

The scheduler process also works batch actions (``BatchWorker``): a thread of its own that asks the
database every ``BATCH_POLL_SECONDS`` whether a started run has cases to take and works them one
by one (``service.batch_work``), so a run of 100,000 cases never holds a web request, and one
interrupted by a restart goes on with its pending cases when a scheduler runs again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from .service.batch_work import work_on_batches
from .service.calendar import warn_if_calendar_runs_out
from .service.context import Services
from .service.timers import fire_due_timers, fire_timer_if_due, has_due_timers, upcoming_timers

log = logging.getLogger(__name__)
BATCH_POLL_SECONDS = 0.5  # how often an idle batch worker asks whether a run has cases to take


class _QuietBusySweep(logging.Filter):
    """A sweep or poll still working through a backlog when the next one is due is normal, not a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            ("TimerScheduler.sweep" in message or "TimerScheduler.poll" in message)
            and "maximum number of running instances" in message
        )


_QUIET_BUSY_SWEEP = _QuietBusySweep()


class TimerScheduler:
    """Alarms for due timers, a poll for due ones and a catch-up sweep; ``start()`` fires what fell due.

    ``poll_seconds`` bounds the lag of timers this process heard nothing about (0 turns the poll off).
    """

    def __init__(
        self,
        services: Services,
        sweep_seconds: float = 2.0,
        workers: int = 4,
        poll_seconds: float = 0.25,
        batches: bool = True,
    ) -> None:
        self.services = services
        self.batches = BatchWorker(services) if batches else None
        self.sweep_seconds = sweep_seconds
        self.poll_seconds = poll_seconds
        # misfire_grace_time=None: APScheduler's 1 s default silently drops jobs that start late
        # under load; a late timer must still fire.
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._armed: set[int] = set()
        self._calendar_checked_at = float("-inf")
        self._lock = threading.Lock()
        # One claim-and-fire loop at a time: it goes on until nothing is due, so a second one beside
        # it would add only write conflicts (on SQLite, one writer at a time) and no speed.
        self._firing = threading.Lock()

    def start(self) -> None:
        logging.getLogger("apscheduler.scheduler").addFilter(_QUIET_BUSY_SWEEP)
        self.services.timer_listeners.append(self.on_commit)
        self.scheduler.add_job(
            self.sweep, "interval", seconds=self.sweep_seconds, id="sweep", next_run_time=datetime.now(UTC)
        )
        if self.poll_seconds > 0:
            self.scheduler.add_job(self.poll, "interval", seconds=self.poll_seconds, id="poll")
        self.scheduler.start()
        if self.batches is not None:
            self.batches.start()

    def shutdown(self, wait: bool = True) -> None:
        if self.on_commit in self.services.timer_listeners:
            self.services.timer_listeners.remove(self.on_commit)
        if self.batches is not None:
            self.batches.stop(wait=wait)
        self.scheduler.shutdown(wait=wait)

    def on_commit(self, created: list[tuple[int, datetime]], removed: list[int]) -> None:
        """A command committed: arm alarms for its new timers, drop those of timers it cancelled."""
        self.disarm(removed)
        self.arm(created)

    def arm(self, timers: list[tuple[int, datetime]]) -> None:
        """Set an alarm at each timer's due time."""
        horizon = self.services.clock.now() + timedelta(seconds=self.sweep_seconds * 2)
        for timer_id, due_at in timers:
            if due_at > horizon:
                continue  # a later sweep arms it; keeps the job store small
            with self._lock:
                if timer_id in self._armed:
                    continue
                self._armed.add(timer_id)
            self.scheduler.add_job(
                self._alarm,
                "date",
                run_date=due_at,
                args=[timer_id],
                id=f"timer-{timer_id}",
                replace_existing=True,
            )

    def disarm(self, timer_ids: list[int]) -> None:
        for timer_id in timer_ids:
            with self._lock:
                self._armed.discard(timer_id)
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(f"timer-{timer_id}")

    def _alarm(self, timer_id: int) -> None:
        try:
            fire_timer_if_due(self.services, timer_id)
        except Exception:  # noqa: BLE001 - the sweep retries; never let one timer stop the scheduler
            log.exception("firing timer %s failed", timer_id)
        finally:
            # Only now: a sweep meanwhile sees the timer still pending and must not arm it again.
            with self._lock:
                self._armed.discard(timer_id)

    def _warn_about_calendar(self) -> None:
        """Log, at most hourly, when the working-day calendar runs out within 30 days."""
        now = time.monotonic()
        if now - self._calendar_checked_at >= 3600:
            self._calendar_checked_at = now
            warn_if_calendar_runs_out(self.services)

    def poll(self) -> int:
        """Fire what is due to be claimed now, if anything (timers of other processes, run-out leases)."""
        try:
            return self._fire_due() if has_due_timers(self.services) else 0
        except Exception:  # noqa: BLE001 - a database hiccup must not end the poll job
            log.exception("timer poll failed")
            return 0

    def _fire_due(self) -> int:
        """Claim and fire what is due, unless this process's other job is at it already."""
        if not self._firing.acquire(blocking=False):
            return 0
        try:
            return fire_due_timers(self.services)
        finally:
            self._firing.release()

    def sweep(self) -> int:
        """Fire everything due (oldest first) and arm alarms for what falls due before the next sweep."""
        fired = 0
        try:
            self._warn_about_calendar()
            fired = self._fire_due()
            horizon = self.services.clock.now() + timedelta(seconds=self.sweep_seconds * 2)
            self.arm(upcoming_timers(self.services, horizon))
        except Exception:  # noqa: BLE001 - a database hiccup must not end the sweep job
            log.exception("timer sweep failed")
        return fired


class BatchWorker:
    """A thread that works started batch runs (``work_on_batches``) and waits ``poll_seconds`` when
    there is nothing to take. ``stop()`` lets the case under way finish and writes its outcome."""

    def __init__(
        self, services: Services, poll_seconds: float = BATCH_POLL_SECONDS, worker: str | None = None
    ) -> None:
        self.services = services
        self.poll_seconds = poll_seconds
        self.worker = worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="batch-worker", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                work_on_batches(self.services, self.worker, self._stop.is_set)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("batch worker failed; trying again")
            self._stop.wait(self.poll_seconds)
