"""Product records: the unit per serial number, the cases on it, its repairs and exchanges, and scores.

Every insert of a row that comes from a case entry says ``ON CONFLICT DO NOTHING`` on the
(instance, entry number) pair, so storing an entry a second time changes nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import AnyRow
from .models import TABLES

_product = TABLES["product"]
_case = TABLES["product_case"]
_repair = TABLES["product_repair"]
_exchange = TABLES["product_exchange"]
_score = TABLES["satisfaction_score"]
_instance = TABLES["process_instance"]

_BY_SERIAL = select(_product).where(_product.c.serial_no == bindparam("serial"))
_REPLACES = select(_product.c.serial_no).where(_product.c.replaced_by == bindparam("serial"))
_CASES = (
    select(
        _case.c.business_key,
        _case.c.kind,
        _case.c.registered_at,
        _case.c.instance_id,
        _instance.c.status,
    )
    .select_from(_case.join(_instance, _instance.c.id == _case.c.instance_id))
    .where(_case.c.product_id == bindparam("product"))
    .order_by(_case.c.registered_at, _case.c.id)
)
_REPAIRS = (
    select(_repair)
    .where(_repair.c.product_id == bindparam("product"))
    .order_by(_repair.c.started_on, _repair.c.id)
)
_EXCHANGES = (
    select(_exchange)
    .where(_exchange.c.product_id == bindparam("product"))
    .order_by(_exchange.c.exchanged_on, _exchange.c.id)
)
_CSAT = select(
    func.count(),
    func.count(_score.c.score),
    func.coalesce(func.sum(_score.c.score), 0),
    func.count().filter(_score.c.reached.is_(True)),
)


@functools.cache
def _inserts(dialect: str) -> dict[str, Any]:
    """The dialect's inserts that leave an existing row alone (by serial, by case, by entry).

    Each returns the new row's id, so "nothing inserted" is no row (a rowcount is not reliable here).
    """
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    keys = {
        "product": (_product, ["serial_no"]),
        "case": (_case, ["product_id", "instance_id"]),
        "repair": (_repair, ["instance_id", "entry_no"]),
        "exchange": (_exchange, ["instance_id", "entry_no"]),
        "score": (_score, ["instance_id", "entry_no"]),
    }
    return {
        kind: make(table).on_conflict_do_nothing(index_elements=columns).returning(table.c.id)
        for kind, (table, columns) in keys.items()
    }


@dataclass(frozen=True)
class ProductRecord:
    id: int
    serial_no: str
    sku: str | None
    name: str | None
    category: str | None
    warranty_start_on: date | None
    warranty_months: int | None
    replaced_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CsatCounts:
    entries: int  # every satisfaction entry, reached or not
    scored: int  # those with a score
    score_sum: int
    reached: int


class ProductRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _insert(self, kind: str, values: dict[str, Any]) -> bool:
        """True when a row was inserted, False when one was there already."""
        statement = _inserts(self._connection.dialect.name)[kind]
        return self._connection.execute(statement, values).scalar_one_or_none() is not None

    def get(self, serial_no: str) -> ProductRecord | None:
        row = self._connection.execute(_BY_SERIAL, {"serial": serial_no}).one_or_none()
        return ProductRecord(**row._mapping) if row is not None else None

    def ensure(self, serial_no: str, now: datetime, **fields: Any) -> tuple[ProductRecord, bool]:
        """(the unit's record, whether it is new): created with ``fields`` (sku, name, ...) when new."""
        created = self._insert(
            "product", {"serial_no": serial_no, "created_at": now, "updated_at": now, **fields}
        )
        record = self.get(serial_no)
        assert record is not None
        return record, created

    def update(self, product_id: int, now: datetime, **values: Any) -> None:
        self._connection.execute(
            update(_product).where(_product.c.id == product_id).values(updated_at=now, **values)
        )

    def replaces(self, serial_no: str) -> list[str]:
        """The units an exchange replaced by this one."""
        return list(self._connection.execute(_REPLACES, {"serial": serial_no}).scalars())

    def link_case(
        self, product_id: int, instance_id: int, business_key: str, kind: str | None, registered_at: datetime
    ) -> None:
        self._insert(
            "case",
            {
                "product_id": product_id,
                "instance_id": instance_id,
                "business_key": business_key,
                "kind": kind,
                "registered_at": registered_at,
            },
        )

    def case_kind(self, product_id: int, instance_id: int) -> str | None:
        """The kind the case had when it was linked to the unit (None when it was not)."""
        statement = select(_case.c.kind).where(
            _case.c.product_id == product_id, _case.c.instance_id == instance_id
        )
        kind: str | None = self._connection.execute(statement).scalar_one_or_none()
        return kind

    def add_repair(self, values: dict[str, Any]) -> bool:
        return self._insert("repair", values)

    def add_exchange(self, values: dict[str, Any]) -> bool:
        return self._insert("exchange", values)

    def add_score(self, values: dict[str, Any]) -> bool:
        return self._insert("score", values)

    def cases(self, product_id: int) -> list[AnyRow]:
        return list(self._connection.execute(_CASES, {"product": product_id}).all())

    def repairs(self, product_id: int) -> list[AnyRow]:
        return list(self._connection.execute(_REPAIRS, {"product": product_id}).all())

    def exchanges(self, product_id: int) -> list[AnyRow]:
        return list(self._connection.execute(_EXCHANGES, {"product": product_id}).all())

    def csat(self) -> CsatCounts:
        entries, scored, total, reached = self._connection.execute(_CSAT).one()
        return CsatCounts(int(entries), int(scored), int(total), int(reached))
