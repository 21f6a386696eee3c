"""Migration 0018: batch runs worked in the background. The runs already there (synchronous ones) become
finished, an interrupted one gets the time of its last outcome as its end and its cut-off cases
become skipped, saying so; nothing of them is worked again. A downgrade takes the columns away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text
from support import ADMIN

from rma_orchestrator.service.batch_work import work_on_batches
from rma_orchestrator.service.batches import get_batch
from rma_orchestrator.service.context import Services
from rma_orchestrator.store.migrate import current_revision, downgrade, head_revision, upgrade
from rma_orchestrator.store.models import TABLES

STARTED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _columns(services: Services, table: str) -> set[str]:
    return {column["name"] for column in inspect(services.database.engine).get_columns(table)}


def _old_runs(services: Services) -> None:
    """Run 1 ended; run 2 was cut off after its first case (as a synchronous run could be)."""
    run, item = TABLES["batch_run"], TABLES["batch_item"]
    ended = STARTED + timedelta(seconds=5)
    with services.database.engine.begin() as connection:
        for batch_id, finished_at in ((1, ended), (2, None)):
            connection.execute(
                run.insert().values(
                    id=batch_id,
                    action="cancel",
                    reason="old",
                    actor="mia",
                    filter_query=None,
                    total=2,
                    created_at=STARTED,
                    finished_at=finished_at,
                )
            )
            connection.execute(
                item.insert(),
                [
                    {
                        "batch_id": batch_id,
                        "position": 0,
                        "instance_id": 7,
                        "outcome": "ok",
                        "done_at": ended,
                    },
                    {
                        "batch_id": batch_id,
                        "position": 1,
                        "instance_id": 8,
                        "outcome": "ok" if finished_at else "pending",
                        "done_at": ended if finished_at else None,
                    },
                ],
            )


def test_existing_runs_become_finished_and_their_cut_off_cases_skipped(services: Services) -> None:
    assert current_revision(services.database) == head_revision(services.database)
    try:
        downgrade(services.database, "0014")
        assert "status" not in _columns(services, "batch_run")
        assert "claimed_by" not in _columns(services, "batch_item")
        _old_runs(services)
    finally:
        upgrade(services.database)  # the PostgreSQL database is shared by the run's other tests
    assert {"status", "stopped_at", "stopped_by", "actor_role"} <= _columns(services, "batch_run")
    assert {"claimed_by", "lease_until", "attempts"} <= _columns(services, "batch_item")
    with services.database.reading() as connection:
        runs = connection.execute(text("SELECT id, status FROM batch_run ORDER BY id")).all()
        items = connection.execute(
            text("SELECT batch_id, outcome, message, attempts FROM batch_item ORDER BY batch_id, position")
        ).all()
    assert [tuple(row) for row in runs] == [(1, "finished"), (2, "finished")]
    assert [(row.batch_id, row.outcome, row.attempts) for row in items] == [
        (1, "ok", 0),
        (1, "ok", 0),
        (2, "ok", 0),
        (2, "skipped", 0),
    ]
    assert "interrupted" in items[3].message
    cut_off = get_batch(services, 2, ADMIN)
    assert cut_off.finished_at == STARTED + timedelta(seconds=5)  # its last outcome
    assert (cut_off.succeeded, cut_off.skipped, cut_off.pending) == (1, 1, 0)
    assert work_on_batches(services) == 0
