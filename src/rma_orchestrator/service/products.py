"""Product records per serial number: read one, set its warranty (ERP import), seed one, the CSAT figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import InvalidData, NotFound
from ..store.products import ProductRepository
from . import permissions
from .case_records import serial_of
from .context import SYSTEM, Actor, Services
from .product_entries import (
    EntryProblem,
    Exchange,
    Origin,
    Repair,
    apply_exchange,
    apply_repair,
    iso_date,
    parse_exchange,
    parse_repair,
    serial_number,
    whole_number,
)
from .product_history import product_info
from .product_results import CsatFigure, ProductInfo

MAX_WARRANTY_MONTHS = 600
_PRODUCT_FIELDS = {"sku": 64, "name": 255, "category": 40}
UNKNOWN_FIELD = "unknown field; send warranty_start_on, warranty_months, sku, name or category"


def get_product(services: Services, serial_no: str, actor: Actor) -> ProductInfo:
    """The unit's record with every case, repair and exchange; whoever reads cases may read it."""
    permissions.require_may_read_cases(actor)
    _check_serial(serial_no)
    with services.database.reading() as connection:
        info = product_of(ProductRepository(connection), serial_no)
    if info is None:
        raise NotFound(f"no product record for serial number {serial_no}")
    return info


def product_of(rows: ProductRepository, serial_no: str) -> ProductInfo | None:
    record = rows.get(serial_no)
    return product_info(rows, record) if record is not None else None


def product_of_case(rows: ProductRepository, data: dict[str, Any]) -> ProductInfo | None:
    """The record of the unit a case's data names (``product.serial_no``), if there is one."""
    serial = serial_of(data)
    return product_of(rows, serial) if serial is not None else None


def set_warranty(services: Services, serial_no: str, values: dict[str, Any], actor: Actor) -> ProductInfo:
    """Set a unit's warranty start and months (and sku, name, category) from the ERP; managers and admins.

    ``values`` may hold ``warranty_start_on`` (YYYY-MM-DD or null), ``warranty_months`` (1..600 or
    null), ``sku``, ``name``, ``category``; at least one. A unit without a record gets one.
    """
    permissions.require_may_import_products(actor)
    _check_serial(serial_no)
    changes = _warranty_changes(values)
    with services.clock.pinned() as now, services.uow() as uow:
        record, _ = uow.products.ensure(serial_no, now)
        uow.products.update(record.id, now, **changes)
        shown = _shown(changes)
        uow.events.record(None, "product_updated", now, actor.name, None, serial_no=serial_no, **shown)
        uow.commit()
    return get_product(services, serial_no, actor)


@dataclass(frozen=True)
class ProductSeed:
    """A checked seed: the serial number, the record's values, and its repairs and exchanges."""

    serial_no: str
    values: dict[str, Any]
    facts: list[Repair | Exchange]


def check_product_seed(seed: Any) -> ProductSeed:
    """Check a seed (see ``seed_product``); InvalidData with one ``{field, message}`` per problem."""
    if not isinstance(seed, dict):
        raise InvalidData("a product seed is a mapping", [{"field": "", "message": "must be a mapping"}])
    problems: list[dict[str, Any]] = []
    serial = _field(problems, "serial_no", lambda: serial_number(seed.get("serial_no")))
    plain = {"warranty_start_on", "warranty_months", *_PRODUCT_FIELDS}
    problems += [
        {
            "field": key,
            "message": "unknown key; allowed: serial_no, repairs, exchanges, " + ", ".join(sorted(plain)),
        }
        for key in seed
        if key not in {"serial_no", "repairs", "exchanges", *plain}
    ]
    given = {key: value for key, value in seed.items() if key in plain}
    values = _field(problems, "", lambda: _warranty_changes(given, required=False))
    facts: list[Repair | Exchange] = []
    for key, parse in (("repairs", parse_repair), ("exchanges", parse_exchange)):
        listed = seed.get(key, [])
        if not isinstance(listed, list):
            problems.append({"field": key, "message": "must be a list"})
            continue
        for number, item in enumerate(listed):
            if not isinstance(item, dict):
                problems.append({"field": f"{key}.{number}", "message": "must be a mapping"})
                continue
            entry = {**item, "serial_no": serial}
            facts.append(_field(problems, f"{key}.{number}", lambda entry=entry, parse=parse: parse(entry)))
    if problems:
        raise InvalidData("the product seed does not fit", problems)
    assert serial is not None
    return ProductSeed(serial, values or {}, facts)


def seed_product(services: Services, seed: dict[str, Any], actor: Actor = SYSTEM) -> ProductInfo:
    """A unit's record with earlier repairs and exchanges (scenarios: "a product with two repairs").

    ``seed``: ``serial_no``, optional ``sku``, ``name``, ``category``, ``warranty_start_on``,
    ``warranty_months``, ``repairs`` (each ``started_on``, ``ended_on``, ``days`` (default: the
    days between), ``in_warranty``, ``fixed``) and ``exchanges`` (each ``exchanged_on``,
    ``new_serial_no``), applied in date order as a case's entries are (an exchange restarts the
    warranty). Managers and admins.
    """
    permissions.require_may_import_products(actor)
    checked = check_product_seed(seed)
    with services.clock.pinned() as now, services.uow() as uow:
        record, _ = uow.products.ensure(checked.serial_no, now)
        if checked.values:
            uow.products.update(record.id, now, **checked.values)
        for fact in sorted(checked.facts, key=_fact_day):
            if isinstance(fact, Repair):
                apply_repair(uow.products, fact, Origin(), now)
            else:
                apply_exchange(uow.products, fact, Origin(), now)
        uow.events.record(None, "product_seeded", now, actor.name, None, serial_no=checked.serial_no)
        uow.commit()
    return get_product(services, checked.serial_no, actor)


def _fact_day(fact: Repair | Exchange) -> date:
    return fact.started_on if isinstance(fact, Repair) else fact.exchanged_on


def csat_figure(services: Services) -> CsatFigure:
    """Scores stored from the satisfaction follow-ups (``case_records``), for /metrics."""
    with services.database.reading() as connection:
        counts = ProductRepository(connection).csat()
    average = round(counts.score_sum / counts.scored, 3) if counts.scored else None
    return CsatFigure(counts.entries, counts.scored, counts.reached, average)


def _warranty_changes(values: dict[str, Any], required: bool = True) -> dict[str, Any]:
    problems: list[dict[str, Any]] = []
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "warranty_start_on":
            changes[key] = (
                None
                if value is None
                else _field(problems, key, lambda v=value: iso_date(v, "warranty_start_on"))
            )
        elif key == "warranty_months":
            changes[key] = (
                None
                if value is None
                else _field(
                    problems, key, lambda v=value: whole_number(v, "warranty_months", 1, MAX_WARRANTY_MONTHS)
                )
            )
        elif key in _PRODUCT_FIELDS:
            limit = _PRODUCT_FIELDS[key]
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= limit):
                problems.append({"field": key, "message": f"must be text of 1 to {limit} characters"})
            changes[key] = value
        else:
            problems.append({"field": key, "message": UNKNOWN_FIELD})
    if required and not values:
        problems.append({"field": "", "message": "send warranty_start_on and/or warranty_months"})
    if problems:
        raise InvalidData("the product values do not fit", problems)
    return changes


def _field(problems: list[dict[str, Any]], prefix: str, parse: Any) -> Any:
    """``parse()``, or None with its problem added under ``prefix``."""
    try:
        return parse()
    except InvalidData as error:
        problems += error.items
    except EntryProblem as problem:
        field = prefix if problem.field in ("", prefix) else ".".join(p for p in (prefix, problem.field) if p)
        problems.append({"field": field, "message": problem.message})
    return None


def _check_serial(serial_no: str) -> None:
    try:
        serial_number(serial_no)
    except EntryProblem as problem:
        raise InvalidData("bad serial number", [{"field": "serial_no", "message": problem.message}]) from None


def _shown(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in changes.items()}
