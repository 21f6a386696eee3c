"""Engine steps run in worker processes, where a step past its limits can be stopped.

Each service process (web worker, scheduler, CLI) keeps a few step workers, started on demand
from a fork server (so they inherit no threads, sockets or database connections). A command
borrows an idle worker, sends it the step and waits at most the time limit plus a grace; a
worker that has not answered by then is killed. The step then runs once more in another worker
with orders to fail at the place the killed one last reported, so the incident names the
element and the user's own action (a completed task, a delivered message) is kept. A worker
that dies by itself (out of memory, a crash) is counted: the step is tried again, and on the
third death it fails at the place reached.

After a committed step the live workflow stays in its worker; the caller keeps a ``Ticket``
and the next step of that case goes to the same worker when it is idle, skipping the restore.
"""

from __future__ import annotations

import atexit
import ctypes
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from ..engine import step_worker
from ..engine.limits import StepLimits
from ..engine.step import Command, Start, StepResult
from ..engine.step_watch import Place
from ..engine.step_worker import CalendarData, Done, Exceeded, Failed, Kept, Miss, StepOrder
from ..engine.workdays import WorkCalendar
from ..errors import StepStopped

GRACE_SECONDS = 0.5  # past the time limit, before the worker is killed
DEATHS_BEFORE_FAILING = 3
MAX_ROUNDS = 5  # runs of one step: deaths, stops and limits found after the fact, all told
DEFINE_TIMEOUT = 60.0  # parsing a large definition, not a step: no step limit applies


@dataclass(frozen=True)
class Ticket:
    """Where a committed step left its live workflow: worker ``worker`` keeps it as ``token``."""

    worker: int
    token: int


@dataclass(frozen=True)
class DefinitionSource:
    """What a worker needs to build a definition: its deployed files, by content digest."""

    digest: str
    files: dict[str, bytes]
    process_key: str


@dataclass(frozen=True)
class StepRequest:
    definition: DefinitionSource
    command: Command
    now: datetime
    limits: StepLimits
    calendar: WorkCalendar
    kept: tuple[Kept, ...] = ()
    target: DefinitionSource | None = None  # a migration's target definition


class _Overran(Exception):
    pass


class _Died(Exception):
    pass


class _Worker:
    def __init__(self, context: Any, serial: int, cache_size: int) -> None:
        self.serial = serial
        parent_end, child_end = context.Pipe()
        self.progress = context.Array(ctypes.c_char, step_worker.PLACE_BYTES, lock=False)
        self.process = context.Process(
            target=step_worker.serve,
            args=(child_end, self.progress, cache_size),
            name=f"rma-step-{serial}",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.connection: Connection = parent_end
        self.defined: set[str] = set()
        self.calendar: WorkCalendar | None = None
        self.alive = True

    def ask(self, message: tuple[Any, ...], timeout: float) -> Any:
        try:
            self.connection.send(message)
            if not self.connection.poll(timeout):
                raise _Overran
            return self.connection.recv()
        except (EOFError, OSError) as error:
            self.stop()
            raise _Died(f"exit code {self.process.exitcode}") from error

    def place(self) -> Place | None:
        place = step_worker.read_place(self.progress)
        return place if place is not None and place[0] else None

    def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class StepWorkers:
    """At most ``size`` step workers for this process, each keeping ``cache_size`` live workflows."""

    def __init__(self, size: int = 2, cache_size: int = 256) -> None:
        if size < 1:
            raise ValueError("at least one step worker is needed")
        self.size = size
        self.cache_size = cache_size
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["__main__", "rma_orchestrator.engine.step_worker"])
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._started = 0
        self._changed = threading.Condition()
        self._serials = itertools.count(1)
        self._tokens = itertools.count(1)
        self._closed = False

    # ---- the one entry point ---------------------------------------------------------------------

    def run(
        self, request: StepRequest, ticket: Ticket | None, load_state: Callable[[], str] | None
    ) -> tuple[StepResult, Ticket]:
        """Run one step; the result and the ticket of its live workflow. Raises what the step raised."""
        poison: dict[Place, str] = {}
        deaths = 0
        for _ in range(MAX_ROUNDS):
            use_live = ticket if not poison else None
            worker = self._borrow(use_live.worker if use_live else None)
            token = next(self._tokens)
            try:
                reply = self._ask_step(worker, request, token, use_live, load_state, poison)
            except _Overran:
                place = worker.place()
                worker.stop()
                message = f"the step ran longer than its limit of {request.limits.time:g} s" + (
                    f" at {place[0]} and was stopped" if place else " and was stopped"
                )
                self._fail_at(place, message, poison)
                continue
            except _Died as died:
                deaths += 1
                if deaths < DEATHS_BEFORE_FAILING:
                    continue
                place = worker.place()
                message = (
                    f"the process running the step died {deaths} times ({died})"
                    + (f" at {place[0]}" if place else "")
                    + f"; out of memory? The limit is {request.limits.memory_mb} MB"
                )
                self._fail_at(place, message, poison)
                continue
            finally:
                self._release(worker)
            match reply:
                case Done(result):
                    return result, Ticket(worker.serial, token)
                case Exceeded(place, message):
                    poison[place] = message
                case Failed(error):
                    raise error
                case _:
                    raise RuntimeError(f"unexpected reply from a step worker: {reply!r}")
        raise StepStopped(f"the step could not be completed within its limits (tried {MAX_ROUNDS} times)")

    @staticmethod
    def _fail_at(place: Place | None, message: str, poison: dict[Place, str]) -> None:
        if place is None:  # stopped before it reached any element: nothing to fail
            raise StepStopped(message + "; nothing was changed")
        if place in poison:  # failing there did not help: it overran before reaching it again
            raise StepStopped(message + " again; nothing was changed")
        poison[place] = message

    def _ask_step(
        self,
        worker: _Worker,
        request: StepRequest,
        token: int,
        ticket: Ticket | None,
        load_state: Callable[[], str] | None,
        poison: dict[Place, str],
    ) -> Any:
        source = request.definition
        for needed in (source, request.target):
            if needed is not None and needed.digest not in worker.defined:
                worker.ask(("define", needed.digest, needed.files, needed.process_key), DEFINE_TIMEOUT)
                worker.defined.add(needed.digest)
        calendar = None
        if worker.calendar is not request.calendar:
            calendar = CalendarData.of(request.calendar)
            worker.calendar = request.calendar
        cached = ticket.token if ticket is not None and ticket.worker == worker.serial else None
        fresh = isinstance(request.command, Start)
        timeout = request.limits.time + GRACE_SECONDS

        def order(state: str | None, live: int | None) -> tuple[str, StepOrder]:
            return (
                "step",
                StepOrder(
                    definition=source.digest,
                    command=request.command,
                    now=request.now,
                    limits=request.limits,
                    token=token,
                    state=state,
                    cached=live,
                    kept=request.kept,
                    poison=tuple(poison.items()),
                    calendar=calendar,
                    target=request.target.digest if request.target is not None else None,
                ),
            )

        def state() -> str | None:
            if fresh:
                return None
            if load_state is None:
                raise ValueError("a step on an existing instance needs its state")
            return load_state()

        reply = worker.ask(order(None if cached is not None else state(), cached), timeout)
        if isinstance(reply, Miss):
            calendar = None  # the worker has it now
            reply = worker.ask(order(state(), None), timeout)
        return reply

    # ---- the pool --------------------------------------------------------------------------------

    def _borrow(self, preferred: int | None) -> _Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError("the step workers are shut down")
                if self._idle:
                    chosen = next((w for w in self._idle if w.serial == preferred), self._idle[-1])
                    self._idle.remove(chosen)
                    self._busy.add(chosen)
                    return chosen
                if self._started < self.size:
                    self._started += 1
                    break
                self._changed.wait()
        try:
            worker = _Worker(self._context, next(self._serials), self.cache_size)
        except BaseException:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._busy.add(worker)
        return worker

    def warm(self) -> None:
        """Start the workers now, in the background, so the first steps need not wait for them."""

        def start() -> None:
            started: list[_Worker] = []
            try:
                for _ in range(self.size):
                    started.append(self._borrow(None))
            finally:
                for worker in started:
                    self._release(worker)

        threading.Thread(target=start, name="rma-step-warm", daemon=True).start()

    def busy_pids(self) -> list[int]:
        """Process ids of the workers running a step now (for operators, and for tests that kill one)."""
        with self._changed:
            return [worker.process.pid for worker in self._busy if worker.process.pid is not None]

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            self._busy.discard(worker)
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                worker.stop()
                self._started -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._changed.notify_all()
        for worker in idle:
            worker.stop()


_shared: dict[tuple[int, int, int], StepWorkers] = {}
_shared_lock = threading.Lock()


def shared_step_workers(size: int, cache_size: int) -> StepWorkers:
    """This process's step workers of that size: one pool for all services of the process.

    A pool is never shared across a fork: a child process gets its own.
    """
    key = (os.getpid(), size, cache_size)
    with _shared_lock:
        workers = _shared.get(key)
        if workers is None:
            workers = _shared[key] = StepWorkers(size, cache_size)
            atexit.register(workers.close)
        return workers
