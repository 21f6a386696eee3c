"""The services every command needs, built once by ``bootstrap``, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..clock import Clock
from ..config import Settings
from ..engine.workflow_cache import WorkflowCache
from ..store.db import Database
from ..store.uow import UnitOfWork
from .calendar_cache import CalendarCache
from .definition_cache import DefinitionCache
from .step_workers import StepWorkers, Ticket

TimerListener = Callable[[list[tuple[int, datetime]], list[int]], None]


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    definitions: DefinitionCache
    calendar: CalendarCache
    steps: StepWorkers
    workflows: WorkflowCache[Ticket] = field(default_factory=WorkflowCache)
    # Called after commit with the timers a command created (id, due) and cancelled (ids):
    # the scheduler arms and drops its alarms.
    timer_listeners: list[TimerListener] = field(default_factory=list)

    def uow(self, optimistic: bool = False) -> UnitOfWork:
        """``optimistic`` for instance commands: no write lock while the engine runs (DESIGN §2)."""
        return UnitOfWork(self.database, optimistic)

    def announce_timers(self, created: list[tuple[int, datetime]], removed: list[int]) -> None:
        for listener in self.timer_listeners:
            listener(created, removed)


@dataclass(frozen=True)
class Actor:
    """Who asks: a user name, a role and the groups (lanes) they work in (rules: ``permissions``).

    ``locale`` is the language the user chose for the pages (None: the browser's).
    """

    name: str
    role: str = "staff"
    groups: frozenset[str] = frozenset()
    locale: str | None = None


SYSTEM = Actor("system", "admin")
