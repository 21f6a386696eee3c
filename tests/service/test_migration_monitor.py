"""Migration 0010: the indexes of the managers' case list come and go with it."""

from __future__ import annotations

from sqlalchemy import inspect
from support import migrations_head

from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import current_revision, downgrade, upgrade

MONITOR_INDEXES = {
    ("process_instance", "ix_process_instance_monitor"),
    ("process_instance", "ix_process_instance_started"),
    ("human_task", "ix_human_task_step"),
    ("human_task", "ix_human_task_instance_open"),
    ("timer", "ix_timer_sla_breach"),
}


def _present(database: Database) -> set[tuple[str, str]]:
    inspector = inspect(database.engine)
    return {
        (table, index["name"])
        for table in ("process_instance", "human_task", "timer")
        for index in inspector.get_indexes(table)
        if (table, index["name"]) in MONITOR_INDEXES
    }


def test_the_monitor_indexes_are_added_and_dropped(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert current_revision(database) == migrations_head()
        assert _present(database) == MONITOR_INDEXES
        downgrade(database, "0009")
        assert _present(database) == set()
    finally:
        upgrade(database)  # the PostgreSQL database is shared by the run's other tests
        assert _present(database) == MONITOR_INDEXES
        database.dispose()
