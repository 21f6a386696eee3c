"""Migration 0019: the diagram drafts' table and the deployments' change note. Deployments made before
it keep their rows with no note; a downgrade takes both away and an upgrade brings them back."""

from __future__ import annotations

from sqlalchemy import inspect
from support import AGENT, ANALYST

from rma_orchestrator.service import diagram_drafts as drafts
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import list_versions
from rma_orchestrator.store.migrate import current_revision, downgrade, head_revision, upgrade


def _schema(services: Services) -> tuple[set[str], set[str]]:
    """The tables, and the deployment table's columns."""
    found = inspect(services.database.engine)
    return set(found.get_table_names()), {column["name"] for column in found.get_columns("deployment")}


def test_deployments_made_before_keep_their_rows_without_a_note(deployed: Services) -> None:
    assert current_revision(deployed.database) == head_revision(deployed.database)
    drafts.create_draft(deployed, "order_review", ANALYST)
    try:
        downgrade(deployed.database, "0018")
        tables, columns = _schema(deployed)
        assert "definition_draft" not in tables and "note" not in columns
    finally:
        upgrade(deployed.database)  # the PostgreSQL database is shared by the run's other tests
    tables, columns = _schema(deployed)
    assert "definition_draft" in tables and "note" in columns
    assert [(v.version, v.deployed_by, v.note) for v in list_versions(deployed, "order_review", AGENT)] == [
        (1, "ana", None)
    ]
    assert drafts.list_drafts(deployed, ANALYST) == []
    assert drafts.create_draft(deployed, "order_review", ANALYST).base_version == 1
