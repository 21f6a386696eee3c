"""Helpers shared by the test modules: actors of each role and the test process files."""

from __future__ import annotations

import socket
import sys
from collections import Counter
from pathlib import Path

from rma_orchestrator.service.context import Actor

DATA = Path(__file__).parent / "data"
LIFECYCLE = DATA / "lifecycle"
DIVIDE_FILE = DATA / "incident" / "divide.bpmn"

ANALYST = Actor("ana", "analyst")
MANAGER = Actor("mia", "manager", frozenset({"customer_service"}))
AGENT = Actor("cs1", "staff", frozenset({"customer_service"}))
ADMIN = Actor("root", "admin")


# The user of each kind the API tests sign in as: (name, groups); "warehouse" is staff of another lane.
USERS = {
    "staff": ("cs1", ["customer_service"]),
    "warehouse": ("wh1", ["warehouse"]),
    "manager": ("mia", ["customer_service"]),
    "analyst": ("ana", []),
    "admin": ("root", []),
}


def lifecycle_files() -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted(LIFECYCLE.iterdir()) if p.suffix in (".bpmn", ".dmn", ".json")
    }


RMA = [sys.executable, "-m", "rma_orchestrator.cli"]  # the `rma` command as a real process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def empty_postgres(url: str) -> None:
    """Empty every table but keep the reference data the migrations seed (the lanes' groups)."""
    from sqlalchemy import create_engine, text

    from rma_orchestrator.store.models import Base

    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "user_group")
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("DELETE FROM user_group WHERE label_en IS NULL"))
    engine.dispose()


def timer_firings(database: object) -> Counter[int]:
    """How many ``timer_fired`` events each timer has in the audit trail (exactly-once checks)."""
    from sqlalchemy import select

    from rma_orchestrator.store.models import Event

    with database.read() as session:  # type: ignore[attr-defined]
        events = session.scalars(select(Event).where(Event.kind == "timer_fired"))
        return Counter(e.details["timer_id"] for e in events)
