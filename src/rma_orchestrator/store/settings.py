"""Shared key/value settings; today only the controlled clock's time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import Database
from .models import Setting

CLOCK_KEY = "controlled_clock.now"


def load_controlled_time(database: Database) -> datetime | None:
    with database.read() as session:
        value = session.scalar(select(Setting.value).where(Setting.key == CLOCK_KEY))
    return datetime.fromisoformat(value) if value else None


def start_controlled_time(database: Database, value: datetime) -> datetime:
    """Store the controlled clock's first value unless another process did; return the stored one."""
    try:
        with database.writer.begin() as session:
            if session.get(Setting, CLOCK_KEY) is None:
                session.add(Setting(key=CLOCK_KEY, value=value.isoformat()))
    except IntegrityError:
        pass
    stored = load_controlled_time(database)
    assert stored is not None
    return stored


def save_controlled_time(session: Session, value: datetime) -> None:
    row = session.get(Setting, CLOCK_KEY)
    if row is None:
        session.add(Setting(key=CLOCK_KEY, value=value.isoformat()))
    else:
        row.value = value.isoformat()
