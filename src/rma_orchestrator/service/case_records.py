"""The product records seen from a case: ``product_history`` at start, ``case_records`` after each step.

Contract 1 of issue 10: a case started with ``product.serial_no`` gets ``product_history`` (the
unit's record as it was before this case) in its start data, and is linked to the unit.
Contract 2: after every step, in the step's unit of work, the entries the diagrams appended to
``case_records`` since the last step are stored. The instance's projection memory keeps how
many entries were taken (``taken``), written back with the step under its revision check, so a
retried or redelivered command never takes an entry twice; the (instance, entry number) unique
key guards the rows as well. A malformed entry is skipped with a ``case_record_skipped`` event,
never failing the step.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..errors import InvalidData
from ..store.instances import InstanceRecord
from ..store.uow import UnitOfWork
from .product_entries import EntryProblem, Origin, apply_entry, parse_entry, serial_number
from .product_history import history_data, product_info

MAX_WARRANTY_MONTHS = 600


def serial_of(data: dict[str, Any]) -> str | None:
    """The case's ``product.serial_no`` when it is a non-empty string, else None."""
    product = data.get("product")
    serial = product.get("serial_no") if isinstance(product, dict) else None
    return serial if isinstance(serial, str) and serial.strip() else None


def with_product_history(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any]:
    """The start data plus ``product_history`` when it names a serial number (a given one is replaced)."""
    serial = serial_of(data)
    if serial is None:
        return data
    try:
        serial_number(serial, "product.serial_no")
    except EntryProblem as problem:
        raise InvalidData(
            "bad serial number", [{"field": problem.field, "message": problem.message}]
        ) from None
    record = uow.products.get(serial)
    info = product_info(uow.products, record) if record is not None else None
    return {**data, "product_history": history_data(serial, info)}


def link_started_case(uow: UnitOfWork, instance: InstanceRecord, data: dict[str, Any], now: datetime) -> None:
    """Link a new case to its unit's record, created (or its missing sku, name, category filled) from it."""
    serial = serial_of(data)
    if serial is None:
        return
    product: dict[str, Any] = data["product"]
    fields = {
        "sku": _text(product.get("sku"), 64),
        "name": _text(product.get("name"), 255),
        "category": _text(product.get("category"), 40),
    }
    record, created = uow.products.ensure(serial, now, **fields)
    missing = {key: value for key, value in fields.items() if value and getattr(record, key) is None}
    if not created and missing:
        uow.products.update(record.id, now, **missing)
    kind = data.get("kind")
    uow.products.link_case(
        record.id, instance.id, instance.business_key, kind if isinstance(kind, str) else None, now
    )


def store_case_records(
    uow: UnitOfWork, instance: InstanceRecord, data: dict[str, Any], memory: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Store what the step added to ``case_records`` and the case's warranty; returns the new memory."""
    memory = dict(memory)
    entries = data.get("case_records")
    taken = int(memory.get("taken", 0))
    if isinstance(entries, list) and len(entries) > taken:
        for number in range(taken, len(entries)):
            _store_entry(uow, instance, entries[number], number, now)
        memory["taken"] = len(entries)
    if not memory.get("warranty") and _note_warranty(uow, data, now):
        memory["warranty"] = True
    return memory


def _store_entry(uow: UnitOfWork, instance: InstanceRecord, entry: Any, number: int, now: datetime) -> None:
    kind = entry.get("type") if isinstance(entry, dict) else None
    try:
        fact = parse_entry(entry)
    except EntryProblem as problem:
        uow.events.record(
            instance.id,
            "case_record_skipped",
            now,
            None,
            None,
            entry_no=number,
            type=kind if isinstance(kind, str) else None,
            field=problem.field,
            message=problem.message,
        )
        return
    registered = instance.started_at if instance.kind is not None else None
    origin = Origin(instance.id, instance.business_key, number, registered)
    if apply_entry(uow.products, fact, origin, now):
        serial = getattr(fact, "serial_no", None)
        uow.events.record(
            instance.id, "case_record_stored", now, None, None, entry_no=number, type=kind, serial_no=serial
        )


def _note_warranty(uow: UnitOfWork, data: dict[str, Any], now: datetime) -> bool:
    """Once the warranty decision ran: its months (and the case's warranty start) onto a record lacking them.

    True when done (or nothing is left to do), so later steps skip it.
    """
    serial = serial_of(data)
    if serial is None:
        return True
    months = data.get("warranty_months")
    if isinstance(months, bool) or not isinstance(months, int) or not 0 < months <= MAX_WARRANTY_MONTHS:
        return False
    record = uow.products.get(serial)
    if record is None:
        return True
    values: dict[str, Any] = {}
    if record.warranty_months is None:
        values["warranty_months"] = months
    start = _day(data.get("warranty_start_on"))
    if record.warranty_start_on is None and start is not None:
        values["warranty_start_on"] = start
    if values:
        uow.products.update(record.id, now, **values)
    return True


def _day(value: Any) -> date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
