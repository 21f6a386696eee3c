"""The composition root: builds the shared services for web, cli and scheduler.

Nothing here runs at import; ``bootstrap(settings)`` connects when called.
"""

from __future__ import annotations

from .clock import Clock, ControlledClock, SystemClock
from .config import Settings
from .engine.workflow_cache import WorkflowCache
from .service.calendar_cache import CalendarCache
from .service.context import Services
from .service.definition_cache import DefinitionCache
from .service.step_workers import shared_step_workers
from .store.db import Database
from .store.settings import load_controlled_time, start_controlled_time


def bootstrap(settings: Settings | None = None, database: Database | None = None) -> Services:
    settings = settings or Settings.from_env()
    database = database or Database(settings.resolved_database_url)
    clock: Clock
    if settings.controlled_clock:
        clock = ControlledClock(
            lambda: load_controlled_time(database), lambda now: start_controlled_time(database, now)
        )
    else:
        clock = SystemClock()
    calendar = CalendarCache(database, settings.business_tz)
    steps = shared_step_workers(settings.step_workers, settings.workflow_cache_size)
    return Services(
        settings=settings,
        database=database,
        clock=clock,
        definitions=DefinitionCache(database),
        calendar=calendar,
        workflows=WorkflowCache(settings.workflow_cache_size),
        steps=steps,
    )
