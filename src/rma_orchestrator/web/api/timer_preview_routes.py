"""The JSON API: the due time of a timer expression, for the modeler's properties panel (analysts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...service.timer_previews import TimerPreview, preview_timer
from ..auth import current_actor, services
from . import bp
from .operations import operation, parse_body


@dataclass(frozen=True)
class TimerPreviewBody:
    """``kind`` timeDuration, timeDate or timeCycle; ``start`` an ISO 8601 time with offset (default now);
    ``data`` sample case data for the names the expression uses."""

    kind: str
    expression: str
    start: str | None = None
    data: dict[str, Any] | None = None


@operation(
    bp,
    "post",
    "/timer-previews",
    summary=(
        "When a timer expression falls due if its timer started at start (default now), computed by the "
        "engine with the working-day calendar; a field error when it cannot be evaluated (analysts)"
    ),
    returns=TimerPreview,
    errors=(400, 403),
    body=TimerPreviewBody,
)
def timer_preview() -> TimerPreview:
    body = parse_body(TimerPreviewBody)
    return preview_timer(
        services(),
        kind=body.kind,
        expression=body.expression,
        actor=current_actor(),
        start=body.start,
        data=body.data,
    )
