"""The runs of call activities (migration 0016), for the SLA heatmap: a called process runs inside
its case's own workflow, so no instance row records when it started and ended.

Declared on the same ``Base`` as ``models`` (which imports this module).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CalledProcess(Base):
    """One run of a call activity: the called process runs inside the case's own workflow (no
    instance row of its own), from ``started_at`` until it ends (completed) or is cancelled."""

    __tablename__ = "called_process"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(String(36))  # the engine's call activity task
    process_key: Mapped[str] = mapped_column(String(255))  # the process drawing the call activity
    element_id: Mapped[str] = mapped_column(String(255))
    called_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))  # running | completed | cancelled
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    __table_args__ = (
        Index(
            "ix_called_process_heatmap",
            *("instance_id", "process_key", "element_id", "status", "started_at", "ended_at"),
        ),
    )
