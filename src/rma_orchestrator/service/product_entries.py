"""Product facts as entries (contract 2 of issue 10): checked, then applied to the product records.

An entry is a repair, an exchange or a satisfaction score, written by a diagram into the case's
``case_records`` or given by a scenario seed. ``parse_entry`` turns one into a typed fact or
raises ``EntryProblem`` naming the field; the ``apply_*`` functions store it and its effects:
an exchange restarts the warranty (on the same record, or on a new unit's record that the old
one then points at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..store import limits
from ..store.products import ProductRecord, ProductRepository

SOURCES = ("customer_reply", "phone_call")
MAX_DAYS = 3650


class EntryProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Repair:
    serial_no: str
    started_on: date
    ended_on: date
    days: int
    in_warranty: bool
    fixed: bool


@dataclass(frozen=True)
class Exchange:
    serial_no: str
    exchanged_on: date
    new_serial_no: str | None


@dataclass(frozen=True)
class Satisfaction:
    score: int | None
    source: str
    reached: bool


Entry = Repair | Exchange | Satisfaction


@dataclass(frozen=True)
class Origin:
    """Where an entry came from: a case and the entry's position in its list (None for seeds)."""

    instance_id: int | None = None
    business_key: str | None = None
    entry_no: int | None = None
    case_started_at: datetime | None = None  # the case's registration (none when the instance is no case)


def serial_number(value: Any, field: str = "serial_no", required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise EntryProblem(field, "must be a serial number (non-empty text)")
    if len(value) > limits.SERIAL_NO or value != value.strip():
        raise EntryProblem(
            field, f"must be at most {limits.SERIAL_NO} characters, without surrounding spaces"
        )
    return value


def iso_date(value: Any, field: str) -> date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise EntryProblem(field, "must be a date written YYYY-MM-DD")


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise EntryProblem(field, "must be true or false")
    return value


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EntryProblem(field, f"must be a whole number from {low} to {high}")
    return value


def parse_entry(entry: Any) -> Entry:
    """A typed fact from one ``case_records`` entry; EntryProblem when it does not fit."""
    if not isinstance(entry, dict):
        raise EntryProblem("", "an entry must be a mapping with a type")
    kind = entry.get("type")
    if kind == "repair":
        return parse_repair(entry)
    if kind == "exchange":
        return parse_exchange(entry)
    if kind == "satisfaction":
        score = entry.get("score")
        source = entry.get("source")
        if source not in SOURCES:
            raise EntryProblem("source", f"must be one of {', '.join(SOURCES)}")
        return Satisfaction(
            None if score is None else whole_number(score, "score", 1, 5),
            source,
            flag(entry.get("reached"), "reached"),
        )
    raise EntryProblem("type", "must be repair, exchange or satisfaction")


def parse_repair(entry: dict[str, Any]) -> Repair:
    serial = serial_number(entry.get("serial_no"))
    assert serial is not None
    started, ended = (
        iso_date(entry.get("started_on"), "started_on"),
        iso_date(entry.get("ended_on"), "ended_on"),
    )
    if ended < started:
        raise EntryProblem("ended_on", "must not be before started_on")
    days = entry.get("days", (ended - started).days)
    return Repair(
        serial,
        started,
        ended,
        whole_number(days, "days", 0, MAX_DAYS),
        flag(entry.get("in_warranty"), "in_warranty"),
        flag(entry.get("fixed"), "fixed"),
    )


def parse_exchange(entry: dict[str, Any]) -> Exchange:
    serial = serial_number(entry.get("serial_no"))
    assert serial is not None
    new = serial_number(entry.get("new_serial_no"), "new_serial_no", required=False)
    if new == serial:
        raise EntryProblem("new_serial_no", "is the old unit's serial number; give null when the unit stays")
    return Exchange(serial, iso_date(entry.get("exchanged_on"), "exchanged_on"), new)


def apply_repair(rows: ProductRepository, repair: Repair, origin: Origin, now: datetime) -> bool:
    """Store the repair on its unit's record (created bare when new); False if it was stored before."""
    record, _ = rows.ensure(repair.serial_no, now)
    return rows.add_repair(
        {
            "product_id": record.id,
            **_origin(origin),
            "started_on": repair.started_on,
            "ended_on": repair.ended_on,
            "days": repair.days,
            "in_warranty": repair.in_warranty,
            "fixed": repair.fixed,
            "recorded_at": now,
        }
    )


def apply_exchange(rows: ProductRepository, exchange: Exchange, origin: Origin, now: datetime) -> bool:
    """Store the exchange and restart the warranty of the unit the customer now holds (POLICY §2).

    With a new serial number the new unit gets a record of its own (the old one's product
    fields and warranty months, the warranty from the exchange day) and the old record points
    at it; without one the unit's own warranty restarts.
    """
    record, _ = rows.ensure(exchange.serial_no, now)
    stored = rows.add_exchange(
        {
            "product_id": record.id,
            **_origin(origin),
            "exchanged_on": exchange.exchanged_on,
            "new_serial_no": exchange.new_serial_no,
            "recorded_at": now,
        }
    )
    if not stored:
        return False
    if exchange.new_serial_no is None:
        rows.update(record.id, now, warranty_start_on=exchange.exchanged_on)
        return True
    new, created = rows.ensure(exchange.new_serial_no, now, **_unit_fields(record, exchange.exchanged_on))
    if not created:
        rows.update(new.id, now, warranty_start_on=exchange.exchanged_on)
    rows.update(record.id, now, replaced_by=new.serial_no)
    if origin.instance_id is not None and origin.business_key is not None:
        kind = rows.case_kind(record.id, origin.instance_id)
        rows.link_case(new.id, origin.instance_id, origin.business_key, kind, now)
    return True


def apply_satisfaction(rows: ProductRepository, score: Satisfaction, origin: Origin, now: datetime) -> bool:
    if origin.instance_id is None or origin.business_key is None or origin.entry_no is None:
        raise ValueError("a satisfaction score belongs to a case")
    return rows.add_score(
        {
            **_origin(origin),
            "score": score.score,
            "source": score.source,
            "reached": score.reached,
            "recorded_at": now,
            "case_started_at": origin.case_started_at,  # the dashboard's CSAT of a period
        }
    )


def apply_entry(rows: ProductRepository, entry: Entry, origin: Origin, now: datetime) -> bool:
    if isinstance(entry, Repair):
        return apply_repair(rows, entry, origin, now)
    if isinstance(entry, Exchange):
        return apply_exchange(rows, entry, origin, now)
    return apply_satisfaction(rows, entry, origin, now)


def _origin(origin: Origin) -> dict[str, Any]:
    return {
        "instance_id": origin.instance_id,
        "business_key": origin.business_key,
        "entry_no": origin.entry_no,
    }


def _unit_fields(record: ProductRecord, start: date) -> dict[str, Any]:
    return {
        "sku": record.sku,
        "name": record.name,
        "category": record.category,
        "warranty_start_on": start,
        "warranty_months": record.warranty_months,
    }
