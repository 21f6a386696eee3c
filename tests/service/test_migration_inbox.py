"""Migration 0006: instances started before it get their customer phone and product name copied."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import current_revision, downgrade, upgrade

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all, so the test chooses how far to migrate."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("pg_database").rsplit("/", 1)[0]
    name = f"rma_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{server}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(f"{server}/{name}")
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _insert_case(database: Database, key: str, data: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO process_instance (id, definition_id, process_key, version, business_key, status,"
                " started_at, state, data, element_states, projection, revision)"
                " VALUES (:id, 1, 'rma_case', 1, :key, 'running', :at, '', :data, '{}', '{}', 1)"
            ),
            {"id": int(key[-1]), "key": key, "at": NOW.replace(tzinfo=None), "data": data},
        )


def _insert_definition(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO deployment (id, created_at, content_hash) VALUES (1, :at, 'h')"),
            {"at": NOW.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO process_definition (id, process_key, version, name, deployment_id,"
                " content_hash, files, main_file, deployed_at)"
                " VALUES (1, 'rma_case', 1, 'RMA', 1, 'h', '{}', 'x.bpmn', :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )


def test_upgrade_copies_phone_and_product_of_existing_cases(empty_database: Database) -> None:
    upgrade(empty_database, "0004")
    _insert_definition(empty_database)
    long_name = "壶" * 300
    _insert_case(
        empty_database,
        "RMA-1",
        json.dumps({"customer": {"name": "王芳", "phone": "13812345678"}, "product": {"name": long_name}}),
    )
    _insert_case(empty_database, "RMA-2", '{"customer": {"phone": 13900000000}}')
    _insert_case(empty_database, "RMA-3", '{"customer": "not an object", "product": null}')

    upgrade(empty_database, "0006")

    assert current_revision(empty_database) == "0006"
    with empty_database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT business_key, customer_phone, product_name FROM process_instance ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("RMA-1", "13812345678", "壶" * 255),
        ("RMA-2", "13900000000", None),
        ("RMA-3", None, None),
    ]
    indexes = {i["name"] for i in inspect(empty_database.engine).get_indexes("human_task")}
    assert {"ix_human_task_status_due", "ix_human_task_status_group", "ix_human_task_assignee_status"} <= (
        indexes
    )


def test_downgrade_and_upgrade_again(empty_database: Database) -> None:
    """With rows in the tables others point at (instances, users): SQLite must not copy them."""
    upgrade(empty_database)
    _insert_definition(empty_database)
    _insert_case(empty_database, "RMA-1", json.dumps({"customer": {"phone": "1"}}))
    with empty_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, name, role, active, created_at, locale)"
                " VALUES (1, 'cs1', 'staff', :yes, :at, 'en')"
            ),
            {"at": NOW.replace(tzinfo=None), "yes": True},
        )
        connection.execute(text("INSERT INTO membership (user_id, group_name) VALUES (1, 'warehouse')"))
    downgrade(empty_database, "0004")
    columns = {c["name"] for c in inspect(empty_database.engine).get_columns("app_user")}
    assert "locale" not in columns and "name" in columns
    tables = set(inspect(empty_database.engine).get_table_names())
    assert not tables & {"task_draft", "saved_filter", "sign_in_failure"}
    upgrade(empty_database)
    tables = set(inspect(empty_database.engine).get_table_names())
    assert {"task_draft", "saved_filter", "sign_in_failure"} <= tables
    with empty_database.engine.connect() as connection:
        phone = connection.execute(text("SELECT customer_phone FROM process_instance")).scalar_one()
        members = connection.execute(text("SELECT count(*) FROM membership")).scalar_one()
    assert (phone, members) == ("1", 1)  # backfilled again; the user's rows kept
