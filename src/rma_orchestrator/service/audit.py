"""Appending to the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..store.models import Event


def record(
    session: Session,
    instance_id: int | None,
    kind: str,
    at: datetime,
    actor: str | None = None,
    element_id: str | None = None,
    **details: Any,
) -> None:
    session.add(
        Event(instance_id=instance_id, at=at, kind=kind, actor=actor, element_id=element_id, details=details)
    )
