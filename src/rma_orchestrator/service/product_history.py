"""A unit's history read from its record: the warranty it has now and the ``product_history`` start data.

Repair time does not count against the warranty (POLICY §2): the end moves by the days the
unit was away for repairs since the warranty started, and an exchange restarts it.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from ..clock import iso
from ..store.products import ProductRecord, ProductRepository
from .product_results import ExchangeInfo, ProductCaseInfo, ProductInfo, RepairInfo


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31 Jan + 1: end of Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def warranty_end(start: date | None, months: int | None, days_away: int) -> date | None:
    if start is None or months is None:
        return None
    return add_months(start, months) + timedelta(days=days_away)


def product_info(rows: ProductRepository, record: ProductRecord) -> ProductInfo:
    """The record with its cases, repairs and exchanges, and the warranty figures they give."""
    repairs = [
        RepairInfo(r.business_key, r.started_on, r.ended_on, r.days, r.in_warranty, r.fixed)
        for r in rows.repairs(record.id)
    ]
    start = record.warranty_start_on
    counted = [r for r in repairs if start is None or r.started_on >= start]
    days_away = sum(r.days for r in counted)
    return ProductInfo(
        serial_no=record.serial_no,
        sku=record.sku,
        name=record.name,
        category=record.category,
        warranty_start_on=start,
        warranty_months=record.warranty_months,
        warranty_ends_on=warranty_end(start, record.warranty_months, days_away),
        days_away=days_away,
        repairs_in_warranty=sum(1 for r in counted if r.in_warranty),
        replaced_by=record.replaced_by,
        replaces=rows.replaces(record.serial_no),
        cases=[
            ProductCaseInfo(c.instance_id, c.business_key, c.kind, c.registered_at, c.status)
            for c in rows.cases(record.id)
        ],
        repairs=repairs,
        exchanges=[
            ExchangeInfo(e.business_key, e.exchanged_on, e.new_serial_no) for e in rows.exchanges(record.id)
        ],
        updated_at=record.updated_at,
    )


def history_data(serial_no: str, info: ProductInfo | None) -> dict[str, Any]:
    """The ``product_history`` start data (contract 1 of issue 10): JSON values only."""
    if info is None:
        return {
            "serial_no": serial_no,
            "known": False,
            "warranty_start_on": None,
            "warranty_months": None,
            "days_away": 0,
            "repairs_in_warranty": 0,
            "repairs": [],
            "exchanges": [],
            "cases": [],
        }
    return {
        "serial_no": serial_no,
        "known": True,
        "warranty_start_on": _day(info.warranty_start_on),
        "warranty_months": info.warranty_months,
        "days_away": info.days_away,
        "repairs_in_warranty": info.repairs_in_warranty,
        "repairs": [
            {
                "business_key": r.business_key,
                "started_on": r.started_on.isoformat(),
                "ended_on": r.ended_on.isoformat(),
                "days": r.days,
                "in_warranty": r.in_warranty,
                "fixed": r.fixed,
            }
            for r in info.repairs
        ],
        "exchanges": [
            {
                "business_key": e.business_key,
                "exchanged_on": e.exchanged_on.isoformat(),
                "new_serial_no": e.new_serial_no,
            }
            for e in info.exchanges
        ],
        "cases": [
            {
                "business_key": c.business_key,
                "kind": c.kind,
                "registered_at": iso(c.registered_at),
                "status": c.status,
            }
            for c in info.cases
        ],
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
