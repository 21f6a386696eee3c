"""Batch actions of the managers' case list (issue 11): one run and its cases, kept for the report.

Declared on the same ``Base`` as ``models`` (which imports this module). A run is ``prepared`` by a
preview page (its cases fixed, nothing started), ``running`` once started with a reason, and
``finished`` or ``stopped`` at the end. Its cases are worked in the background (the scheduler's
batch worker, ``service.batch_work``), one case per transaction: a worker claims a case with a
lease (``claimed_by``, ``lease_until``, wall-clock time), runs the one-case command and writes
the outcome (``ok``, ``failed`` with why, or ``skipped`` when the run was stopped first).
``attempts`` counts the claims of a case: a case claimed again (its worker died) is first looked
up in its audit trail, whose events carry the run's id, so it is never acted on twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class BatchRun(Base):
    __tablename__ = "batch_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)  # empty while prepared
    actor: Mapped[str] = mapped_column(String(120))
    actor_role: Mapped[str | None] = mapped_column(String(20))  # the authority the run acts with
    filter_query: Mapped[str | None] = mapped_column(Text)  # the list's URL parameters it came from
    total: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # prepared | running | finished | stopped
    created_at: Mapped[datetime] = mapped_column(index=True)  # prepared, then started
    finished_at: Mapped[datetime | None]  # the last case's outcome was written
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(120))
    target_version: Mapped[int | None] = mapped_column(Integer)  # a ``migrate`` run: the version moved to


class BatchItem(Base):
    __tablename__ = "batch_item"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch_run.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10))  # pending | ok | failed | skipped
    message: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)
    # The cases still to do, in order: what a worker claims next, and whether a run is done
    __table_args__ = (
        Index(
            "ix_batch_item_pending",
            "batch_id",
            "position",
            sqlite_where=text("outcome = 'pending'"),
            postgresql_where=text("outcome = 'pending'"),
        ),
    )
