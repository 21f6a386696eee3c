"""What product reads answer: a unit's record with its cases, repairs and exchanges, and the CSAT figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ProductCaseInfo:
    """A case registered for the unit: ``status`` is its instance's status now."""

    instance_id: int
    business_key: str
    kind: str | None
    registered_at: datetime
    status: str


@dataclass(frozen=True)
class RepairInfo:
    """A finished repair; ``days`` the calendar days the unit was away (they move the warranty end)."""

    business_key: str | None
    started_on: date
    ended_on: date
    days: int
    in_warranty: bool
    fixed: bool


@dataclass(frozen=True)
class ExchangeInfo:
    """An exchange restarted the warranty on ``exchanged_on``; ``new_serial_no`` the unit given instead."""

    business_key: str | None
    exchanged_on: date
    new_serial_no: str | None


@dataclass(frozen=True)
class ProductInfo:
    """A unit's record (DESIGN: issue 10).

    ``warranty_start_on`` is the start of the unit's current warranty (an exchange restarts it);
    ``days_away`` and ``repairs_in_warranty`` count the repairs since then; ``warranty_ends_on`` is
    the start plus ``warranty_months`` (clamped to the month's end) plus ``days_away`` days, null
    while either is unknown. ``replaced_by``: the unit an exchange gave instead of this one;
    ``replaces``: the units this one replaced.
    """

    serial_no: str
    sku: str | None
    name: str | None
    category: str | None
    warranty_start_on: date | None
    warranty_months: int | None
    warranty_ends_on: date | None
    days_away: int
    repairs_in_warranty: int
    replaced_by: str | None
    replaces: list[str]
    cases: list[ProductCaseInfo]
    repairs: list[RepairInfo]
    exchanges: list[ExchangeInfo]
    updated_at: datetime


@dataclass(frozen=True)
class CsatFigure:
    """Customer satisfaction from the follow-ups: ``average`` of the scores given (1..5), null with none."""

    entries: int
    scored: int
    reached: int
    average: float | None
