"""The JSON request bodies of the API, as types: parsed with them and documented from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import StrictBool, StrictInt


@dataclass(frozen=True)
class StartBody:
    process_key: str
    data: dict[str, Any] | None = None
    business_key: str | None = None


@dataclass(frozen=True)
class MessageBody:
    name: str
    business_key: str
    payload: Any = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class AssignBody:
    user: str
    reason: str | None = None  # kept in the audit trail


@dataclass(frozen=True)
class ActionBody:
    """The optional body of cancel, suspend and resume: why, for the audit trail."""

    reason: str | None = None


@dataclass(frozen=True)
class CompleteBody:
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryBody:
    data: dict[str, Any] | None = None
    reason: str | None = None  # kept in the audit trail (the incident_resolved event)


@dataclass(frozen=True)
class ClockBody:
    """Exactly one of ``add`` (an ISO 8601 duration) and ``set`` (an ISO 8601 time with offset)."""

    add: str | None = None
    set: str | None = None


@dataclass(frozen=True)
class DraftBody:
    """Form data to keep, possibly incomplete: it is checked against the form only on completion."""

    data: dict[str, Any]


@dataclass(frozen=True)
class SavedFilterBody:
    """An inbox URL's query string, such as ``view=groups&kind=repair&overdue=1``."""

    query: str


@dataclass(frozen=True)
class ProductBody:
    """A product record's warranty, e.g. imported from the ERP: send what changes; null clears a value.

    ``warranty_start_on`` is a date (YYYY-MM-DD), ``warranty_months`` 1 to 600.
    """

    warranty_start_on: str | None = None
    warranty_months: int | None = None
    sku: str | None = None
    name: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class BatchBody:
    """A batch action: either ``instance_ids`` or ``filter`` (the case list's URL parameters, e.g.
    ``{"status": "error", "kind": "repair"}``); ``reason`` is required unless ``dry_run``."""

    action: str
    instance_ids: list[StrictInt] | None = None  # strict: "5" is not an id, "true" not a flag
    filter: dict[str, str] | None = None
    reason: str | None = None
    dry_run: StrictBool = False


@dataclass(frozen=True)
class CalendarDayBody:
    kind: str  # workday | holiday
