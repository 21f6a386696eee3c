"""The controlled clock: read it, or move it forward firing every timer that falls due on the way."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import func, select

from ..clock import iso, utc
from ..errors import InvalidData, NotFound
from ..store.models import ProcessInstance, Timer
from ..store.settings import save_controlled_time
from .context import Actor, Services
from .permissions import require_role
from .timers import fire_due_timers

MAX_STEPS = 10_000


def get_clock(services: Services, actor: Actor) -> dict[str, Any]:
    _require_controlled(services, actor)
    return {"now": iso(services.clock.now())}


def move_clock(
    services: Services, actor: Actor, add: str | None = None, set_to: str | None = None
) -> dict[str, Any]:
    """Step through each due time up to the target, firing what falls due; never backwards."""
    _require_controlled(services, actor)
    current = services.clock.now()
    target = _target(current, add, set_to)
    if target < current:
        raise InvalidData(
            "the clock never moves backwards", [{"field": "set", "message": "earlier than now"}]
        )
    fired = 0
    for _ in range(MAX_STEPS):
        next_due = _next_due(services, target)
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
    return {"now": iso(target), "fired": fired}


def _next_due(services: Services, target: datetime) -> datetime | None:
    with services.database.read() as session:
        return session.scalar(
            select(func.min(Timer.due_at))
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(Timer.status == "pending", Timer.due_at <= target, ProcessInstance.status == "running")
        )


def _save(services: Services, value: datetime) -> None:
    with services.uow() as uow:
        save_controlled_time(uow.session, value)
        uow.commit()


def _target(current: datetime, add: str | None, set_to: str | None) -> datetime:
    if (add is None) == (set_to is None):
        raise InvalidData("give add or set", [{"field": "add", "message": "give exactly one of add and set"}])
    if add is not None:
        if not isinstance(add, str) or not re.fullmatch(
            r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?", add
        ):
            raise InvalidData(
                "bad duration", [{"field": "add", "message": "an ISO 8601 duration such as PT25H or P7D"}]
            )
        parsed = TimerEventDefinition.parse_iso_duration(add)
        return current + TimerEventDefinition.get_timedelta_from_start(parsed, current)
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
    require_role(actor, "admin")
