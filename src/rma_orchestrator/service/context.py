"""The services every command needs, built once by ``bootstrap``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..config import Settings
from ..store.db import Database
from ..store.uow import UnitOfWork

if TYPE_CHECKING:
    from .calendar import CalendarCache
    from .definitions import DefinitionCache


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    script_engine: Any
    definitions: DefinitionCache
    calendar: CalendarCache
    # Called after commit with the timers a command created (id, due) and cancelled (ids):
    # the scheduler arms and drops its alarms.
    timer_listeners: list[Callable[[list[tuple[int, datetime]], list[int]], None]] = field(
        default_factory=list
    )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.database)

    def announce_timers(self, created: list[tuple[int, datetime]], removed: list[int]) -> None:
        for listener in self.timer_listeners:
            listener(created, removed)


@dataclass(frozen=True)
class Actor:
    """Who asks: a user name, a role and the groups (lanes) they work in."""

    name: str
    role: str = "staff"
    groups: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles

    def may_work(self, group: str | None) -> bool:
        return self.role in ("manager", "admin") or (group is not None and group in self.groups)


SYSTEM = Actor("system", "admin")
