"""The JSON API: incidents and the controlled clock."""

from __future__ import annotations

from flask import request

from ...service import clock as clock_service
from ...service import (
    incidents,
)
from ...service.results import (
    ClockMove,
    ClockReading,
    IncidentInfo,
    Page,
    RetryResult,
)
from ..auth import current_actor, services
from . import bp
from .bodies import (
    ClockBody,
    RetryBody,
)
from .operations import operation, parse_body
from .params import PAGING, RESOLVED, int_arg


@operation(
    bp,
    "get",
    "/incidents",
    summary="List incidents (resolved=true|all; open ones by default)",
    returns=Page[IncidentInfo],
    errors=(400,),
    query={"resolved": RESOLVED, **PAGING},
)
def list_incidents() -> Page[IncidentInfo]:
    resolved = request.args.get("resolved")
    return incidents.list_incidents(
        services(),
        current_actor(),
        resolved=None if resolved == "all" else resolved in ("1", "true"),
        page=int_arg("page", 1),
        per_page=int_arg("per_page", 50),
    )


@operation(
    bp,
    "post",
    "/incidents/<int:incident_id>/retry",
    summary="Retry the failed step with corrected data (managers)",
    returns=RetryResult,
    errors=(400, 403, 404, 409),
    body=RetryBody,
)
def retry_incident(incident_id: int) -> RetryResult:
    body = parse_body(RetryBody, required=False)
    return incidents.retry_incident(services(), incident_id, current_actor(), body.data, reason=body.reason)


@operation(
    bp,
    "get",
    "/clock",
    summary="Controlled time (RMA_CONTROLLED_CLOCK=1 only)",
    returns=ClockReading,
    errors=(403, 404),
)
def get_clock() -> ClockReading:
    return clock_service.get_clock(services(), current_actor())


@operation(
    bp,
    "post",
    "/clock",
    summary="Move the controlled clock, firing what falls due",
    returns=ClockMove,
    errors=(400, 403, 404),
    body=ClockBody,
)
def move_clock() -> ClockMove:
    body = parse_body(ClockBody, required=False)
    return clock_service.move_clock(services(), current_actor(), add=body.add, set_to=body.set)
