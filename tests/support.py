"""Helpers shared by the test modules: actors of each role and the test process files."""

from __future__ import annotations

import socket
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rma_orchestrator.service.context import Actor, Services

DATA = Path(__file__).parent / "data"
LIFECYCLE = DATA / "lifecycle"
DIVIDE_FILE = DATA / "incident" / "divide.bpmn"


def migrations_head() -> str:
    """The newest migration's revision (what ``upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    from rma_orchestrator.store.migrate import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


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


@contextmanager
def private_postgres(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database on ``admin_url``'s server, dropped afterwards."""
    from sqlalchemy import create_engine, text

    from rma_orchestrator.store.db import Database
    from rma_orchestrator.store.migrate import upgrade

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def database_state(services: Services) -> dict[str, Any]:
    """Row counts of every table, plus what commands change in place (revisions, assignees, settings).

    Equal before and after a request means the request changed nothing.
    """
    from sqlalchemy import func, select

    from rma_orchestrator.store.models import TABLES, Base

    instance, task, setting = TABLES["process_instance"], TABLES["human_task"], TABLES["setting"]
    with services.database.reading() as connection:
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }
        instances = connection.execute(
            select(instance.c.id, instance.c.revision, instance.c.status).order_by(instance.c.id)
        ).all()
        tasks = connection.execute(
            select(task.c.id, task.c.assignee, task.c.status).order_by(task.c.id)
        ).all()
        settings = connection.execute(select(setting.c.key, setting.c.value).order_by(setting.c.key)).all()
    return {
        "counts": counts,
        "instances": [tuple(r) for r in instances],
        "tasks": [tuple(r) for r in tasks],
        "settings": [tuple(r) for r in settings],
    }


def late_in_2026(services: Services) -> int:
    """Move the controlled clock to 2026-12-20 12:00 in Beijing (or leave it, if already later: it never
    goes back) and answer the days from that day to 2026-12-31, the last day the bundled calendar knows."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from rma_orchestrator.service.clock import move_clock

    target = datetime(2026, 12, 20, 4, tzinfo=UTC)
    if services.clock.now() < target:
        move_clock(services, ADMIN, set_to=target.isoformat())
    today = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).date()
    return (date(2026, 12, 31) - today).days
