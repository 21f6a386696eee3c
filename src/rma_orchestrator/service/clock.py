"""The controlled clock: read it, or move it forward firing every timer that falls due on the way."""

from __future__ import annotations

from datetime import datetime

from ..clock import utc
from ..engine import durations
from ..errors import InvalidData, NotFound
from ..store import statistics
from . import permissions
from .context import Actor, Services
from .results import ClockMove, ClockReading
from .timers import fire_due_timers, next_due_time

MAX_STEPS = 10_000


def get_clock(services: Services, actor: Actor) -> ClockReading:
    _require_controlled(services, actor)
    return ClockReading(services.clock.now())


def move_clock(
    services: Services, actor: Actor, add: str | None = None, set_to: str | None = None
) -> ClockMove:
    """Step through each due time up to the target, firing what falls due; never backwards."""
    _require_controlled(services, actor)
    current = services.clock.now()
    target = _target(current, add, set_to)
    if target < current:
        raise InvalidData(
            "the clock never moves backwards", [{"field": "set", "message": "earlier than now"}]
        )
    horizon = services.settings.step_limits.timer_horizon
    if target > current + horizon:
        field = "add" if add is not None else "set"
        raise InvalidData(
            "too far ahead",
            [{"field": field, "message": f"at most {horizon.days} days ahead, as far as any timer may wait"}],
        )
    fired = 0
    for _ in range(MAX_STEPS):
        next_due = next_due_time(services, target)
        if next_due is None:
            break
        step = max(next_due, services.clock.now())
        _save(services, step)
        fired_now = fire_due_timers(services, step)
        fired += fired_now
        if not fired_now and step >= target:
            break
    _save(services, target)
    fired += fire_due_timers(services, target)
    return ClockMove(target, fired)


def set_clock_while_unused(services: Services, actor: Actor, at: datetime) -> bool:
    """Set the controlled clock to ``at``, earlier or later, if nothing counts from it yet.

    False (and nothing changed) once the database holds an instance or a message: from then on
    the clock only moves forward, with ``move_clock``.
    """
    _require_controlled(services, actor)
    with services.uow() as uow:
        if statistics.holds_cases(uow.connection):
            return False
        uow.settings.save_controlled_time(utc(at))
        uow.commit()
    return True


def _save(services: Services, value: datetime) -> None:
    with services.uow() as uow:
        uow.settings.save_controlled_time(value)
        uow.commit()


def _target(current: datetime, add: str | None, set_to: str | None) -> datetime:
    if (add is None) == (set_to is None):
        raise InvalidData("give add or set", [{"field": "add", "message": "give exactly one of add and set"}])
    if add is not None:
        if not isinstance(add, str) or not durations.is_duration(add):
            raise InvalidData(
                "bad duration", [{"field": "add", "message": "an ISO 8601 duration such as PT25H or P7D"}]
            )
        try:
            return durations.after(current, add)
        except (OverflowError, ValueError):
            raise InvalidData(
                "too far ahead", [{"field": "add", "message": "beyond the calendar's end"}]
            ) from None
    try:
        value = datetime.fromisoformat(str(set_to).replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidData(
            "bad time", [{"field": "set", "message": f"not an ISO 8601 time: {error}"}]
        ) from None
    if value.tzinfo is None:
        raise InvalidData(
            "bad time", [{"field": "set", "message": "give a UTC offset, e.g. 2026-11-25T06:00:00Z"}]
        )
    return utc(value)


def _require_controlled(services: Services, actor: Actor) -> None:
    if not services.clock.controlled:
        raise NotFound("the clock is not controlled here (set RMA_CONTROLLED_CLOCK=1)")
    permissions.require_may_administer(actor)
