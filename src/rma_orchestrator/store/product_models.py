"""The product record per serial number (issue 10): the unit, its cases, repairs, exchanges, and scores.

Declared on the same ``Base`` as ``models`` (which imports this module), so the metadata, the
migrations' checks and the tests see one schema. Rows that come from a case's ``case_records``
carry the instance and the entry's position in that list (``entry_no``): the pair is unique, so
an entry can never be stored twice, whatever retries or redeliveries happen.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Product(Base):
    """One unit, by serial number; ``replaced_by`` names the unit an exchange gave in its place."""

    __tablename__ = "product"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial_no: Mapped[str] = mapped_column(String(120), unique=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(40))
    warranty_start_on: Mapped[date | None] = mapped_column(Date)  # restarted by an exchange
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    replaced_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProductCase(Base):
    """A case registered for the unit."""

    __tablename__ = "product_case"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(40))
    registered_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("product_id", "instance_id"),)


class ProductRepair(Base):
    """A finished repair: from the day the unit arrived (or work began) to the day it was repaired."""

    __tablename__ = "product_repair"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    business_key: Mapped[str | None] = mapped_column(String(120))
    entry_no: Mapped[int | None] = mapped_column(Integer)  # position in the case's case_records
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    in_warranty: Mapped[bool] = mapped_column(Boolean)
    fixed: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("instance_id", "entry_no"),
        Index("ix_product_repair_case", "instance_id", "days", "fixed"),  # the dashboard's repair figures
    )


class ProductExchange(Base):
    """An exchange: the warranty restarts on ``exchanged_on``; a new unit has its own record."""

    __tablename__ = "product_exchange"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    business_key: Mapped[str | None] = mapped_column(String(120))
    entry_no: Mapped[int | None] = mapped_column(Integer)
    exchanged_on: Mapped[date] = mapped_column(Date)
    new_serial_no: Mapped[str | None] = mapped_column(String(120))
    recorded_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("instance_id", "entry_no"),)


class SatisfactionScore(Base):
    """The customer's answer to the follow-up (``score`` null when they gave none), for the CSAT figure."""

    __tablename__ = "satisfaction_score"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(120))
    entry_no: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    reached: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime]
    # The registration of the score's case (null when the instance is no case), which never changes:
    # the dashboard's CSAT of a period reads this table's index alone.
    case_started_at: Mapped[datetime | None]
    __table_args__ = (
        UniqueConstraint("instance_id", "entry_no"),
        Index("ix_satisfaction_score_case", "case_started_at", "score", "reached"),
    )
