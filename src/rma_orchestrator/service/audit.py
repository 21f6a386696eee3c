"""Appending to the audit trail.

Events are buffered on the session and written in one multi-row insert when the unit of
work commits: a step records several events, and one statement is much cheaper than one
ORM flush each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..store.uow import PENDING_EVENTS


def record(
    session: Session,
    instance_id: int | None,
    kind: str,
    at: datetime,
    actor: str | None = None,
    element_id: str | None = None,
    **details: Any,
) -> None:
    session.info.setdefault(PENDING_EVENTS, []).append(
        {
            "instance_id": instance_id,
            "at": at,
            "kind": kind,
            "actor": actor,
            "element_id": element_id,
            "details": details,
        }
    )
