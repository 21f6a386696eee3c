"""The process that runs engine steps for a service process, so a step can be stopped from outside.

Analyst code can hold the interpreter lock in one C call for minutes, where no limit inside the
process can reach it. Run in its own process, a step that overruns is simply killed by the
service process, which then records the incident (see ``service.step_workers``).

The worker keeps no database connection: it is sent the files of the definitions it runs,
the working-day calendar and "now", and it keeps recent live workflows under tokens so the
next step of a case can skip the restore. Messages are tuples, replies are ``Reply`` values.
"""

from __future__ import annotations

import ctypes
import dataclasses
import pickle
import resource
import signal
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from .bundle import ProcessDefinition, load_bundle
from .clockhook import use_clock
from .limits import StepLimits
from .sandbox import WatchedScriptEngine, make_script_engine
from .step import Command, StepResult, step
from .step_watch import Place, StepWatch, limit_multi_instances
from .workdays import WorkCalendar, script_functions

_PR_SET_PDEATHSIG = 1
PLACE_BYTES = 400  # room for "element\tn" in the shared progress buffer


@dataclass(frozen=True)
class Kept:
    """A kept message, as the engine needs it."""

    id: int
    name: str
    payload: Any


@dataclass(frozen=True)
class CalendarData:
    """A working-day calendar in a form that crosses process boundaries."""

    tz: str
    overrides: dict[Any, bool]
    confirmed_years: tuple[int, ...]

    @classmethod
    def of(cls, calendar: WorkCalendar) -> CalendarData:
        return cls(str(calendar.tz), dict(calendar.overrides), tuple(sorted(calendar.confirmed_years)))

    def build(self) -> WorkCalendar:
        return WorkCalendar(
            tz=ZoneInfo(self.tz), overrides=self.overrides, confirmed_years=frozenset(self.confirmed_years)
        )


@dataclass(frozen=True)
class StepOrder:
    """One step to run: on the definition sent as ``definition``, from ``state`` or the live ``cached``."""

    definition: str
    command: Command
    now: datetime
    limits: StepLimits
    token: int  # keep the resulting live workflow under this
    state: str | None = None
    cached: int | None = None
    kept: tuple[Kept, ...] = ()
    poison: tuple[tuple[Place, str], ...] = ()
    calendar: CalendarData | None = None  # a new calendar; None keeps the last one
    target: str | None = None  # a migration's target definition (sent as ``definition`` before)


@dataclass(frozen=True)
class Done:
    result: StepResult


@dataclass(frozen=True)
class Miss:
    """The live workflow asked for is gone: send the state."""


@dataclass(frozen=True)
class Exceeded:
    """A limit was passed after analyst code changed data at ``place``: run again, failing there."""

    place: Place
    message: str


@dataclass(frozen=True)
class Failed:
    """The step raised (KeyError for a task that is not open, or a bug): raise it in the caller."""

    error: BaseException


Reply = Done | Miss | Exceeded | Failed


def serve(connection: Connection, progress: Any, cache_size: int) -> None:
    """The worker's loop: answer orders until the service process closes its end."""
    _die_with_parent()
    worker = _Worker(cache_size, _progress_writer(progress))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "define":
            _, digest, files, process_key = message
            worker.define(digest, files, process_key)
            connection.send(("defined", digest))
        elif kind == "step":
            connection.send(worker.run(message[1]))


def _die_with_parent() -> None:
    """On Linux, be killed when the process that started this one dies, even mid-step.

    Without it a worker busy in a long C call would outlive a killed service process until
    the call ended; it notices a closed pipe only between steps.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the worker still ends at its next read of the closed pipe


def _progress_writer(progress: Any) -> Callable[[Place], None]:
    def write(place: Place) -> None:
        progress.value = f"{place[0]}\t{place[1]}".encode()[: PLACE_BYTES - 1]

    return write


def read_place(progress: Any) -> Place | None:
    """The place the worker last reported, from its shared progress buffer."""
    element, _, count = bytes(progress.value).decode(errors="replace").partition("\t")
    return (element, int(count)) if element and count.isdigit() else None


class _Worker:
    def __init__(self, cache_size: int, on_place: Callable[[Place], None]) -> None:
        self._definitions: dict[str, ProcessDefinition] = {}
        self._live: OrderedDict[int, BpmnWorkflow] = OrderedDict()
        self._cache_size = cache_size
        self._on_place = on_place
        self._now = datetime.min.replace(tzinfo=UTC)
        self._calendar: WorkCalendar | None = None
        self._memory_mb = 0
        use_clock(lambda: self._now)
        limit_multi_instances()
        self._engine: WatchedScriptEngine = make_script_engine(
            functions=script_functions(self._current_calendar, lambda: self._now)
        )

    def _current_calendar(self) -> WorkCalendar:
        if self._calendar is None:
            raise RuntimeError("no working-day calendar was sent")
        return self._calendar

    def define(self, digest: str, files: dict[str, bytes], process_key: str) -> None:
        self._definitions[digest] = load_bundle(files).processes[process_key]

    def run(self, order: StepOrder) -> Reply:
        self._apply_limits(order.limits)
        if order.calendar is not None:
            self._calendar = order.calendar.build()
        workflow = None
        if order.cached is not None:
            workflow = self._live.pop(order.cached, None)
            if workflow is None:
                return Miss()
        self._now = order.now
        self._on_place(("", 0))
        watch = StepWatch(order.limits, order.now, dict(order.poison), self._on_place)
        self._engine.watch = watch
        state = order.state
        try:
            result = step(
                self._definitions[order.definition],
                self._engine,
                order.command,
                workflow,
                None if state is None else lambda: state,
                order.kept,
                self._definitions[order.target] if order.target is not None else None,
            )
        except Exception as error:  # noqa: BLE001 - the caller raises it as its own
            if watch.exceeded is not None:  # this run is thrown away: what it left may not even serialise
                return Exceeded(*watch.exceeded)
            return Failed(_portable(error))
        finally:
            self._engine.watch = None
        if watch.exceeded is not None:
            return Exceeded(*watch.exceeded)
        if result.workflow is not None and self._cache_size > 0:
            self._live[order.token] = result.workflow
            while len(self._live) > self._cache_size:
                self._live.popitem(last=False)
        return Done(dataclasses.replace(result, workflow=None))

    def _apply_limits(self, limits: StepLimits) -> None:
        self._engine.environment.time_limit = limits.time
        if limits.memory_mb != self._memory_mb:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            size = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size if hard < 0 else min(size, hard), hard))
            self._memory_mb = limits.memory_mb


def _portable(error: Exception) -> BaseException:
    """``error`` if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - anything unpicklable is described instead
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
