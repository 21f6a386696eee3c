"""Batch actions of the managers' case list (issue 11): one run and its cases, kept for the report.

Declared on the same ``Base`` as ``models`` (which imports this module). A case's outcome is
written after its own transaction committed, so the report lists what was done while the run goes
on; a case still ``pending`` after the run ended was interrupted (its audit trail says whether the
action happened).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class BatchRun(Base):
    __tablename__ = "batch_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    filter_query: Mapped[str | None] = mapped_column(Text)  # the list's URL parameters it came from
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]


class BatchItem(Base):
    __tablename__ = "batch_item"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch_run.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10))  # pending | ok | failed
    message: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
