"""Migration 0012: the case's reason gets a column of its own (filled from the data of the cases
already there) and the dashboard's indexes; a downgrade takes them away."""

from __future__ import annotations

from rma_cases import case_data, deploy_rma
from sqlalchemy import inspect, text
from support import AGENT, migrations_head

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.store.migrate import current_revision, downgrade, upgrade

DASHBOARD_INDEXES = {
    ("process_instance", "ix_process_instance_dashboard"),
    ("human_task", "ix_human_task_instance_element"),
    ("timer", "ix_timer_instance_sla"),
}


def _reason_column_and_index(services: Services) -> tuple[bool, bool]:
    """Whether the reason column is there, and whether all of the dashboard's indexes are."""
    inspector = inspect(services.database.engine)
    columns = {column["name"] for column in inspector.get_columns("process_instance")}
    tables = {table for table, _name in DASHBOARD_INDEXES}
    indexes = {(table, index["name"]) for table in tables for index in inspector.get_indexes(table)}
    present = DASHBOARD_INDEXES & indexes
    assert present in (set(), DASHBOARD_INDEXES), present
    return "reason" in columns, present == DASHBOARD_INDEXES


def test_the_reason_column_is_filled_from_the_cases_data(services: Services) -> None:
    deploy_rma(services)
    started = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    assert current_revision(services.database) == migrations_head()
    try:
        downgrade(services.database, "0010")
        assert _reason_column_and_index(services) == (False, False)
    finally:
        upgrade(services.database)  # the PostgreSQL database is shared by the run's other tests
    assert _reason_column_and_index(services) == (True, True)
    with services.database.reading() as connection:
        query = text("SELECT reason FROM process_instance WHERE id = :id")
        assert connection.execute(query, {"id": started.id}).scalar_one() == "wrong_item"
