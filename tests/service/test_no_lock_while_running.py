"""Analyst code runs without the write lock: a slow step on one case never holds up the others."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import AGENT, ANALYST, DIVIDE_FILE, lifecycle_files

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.engine.step import CompleteTask
from rma_orchestrator.errors import WriteConflict
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.step_workers import StepRequest
from rma_orchestrator.service.tasks import complete_task

SLOW_STEP_SECONDS = 4.0  # the script time limit; the endless loop below runs until it


@pytest.fixture
def slow_and_fast(db_url: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings.from_env(
        {}, data_dir=tmp_path, database_url=db_url, controlled_clock=True, script_time_limit=SLOW_STEP_SECONDS
    )
    services = bootstrap(settings)
    endless = DIVIDE_FILE.read_bytes().replace(b"share = total / parts", b"while True: pass")
    deploy(services, {"divide.bpmn": endless, **lifecycle_files()}, ANALYST)
    yield services
    services.database.dispose()


def test_commands_on_other_cases_finish_while_a_slow_step_runs(slow_and_fast: Services) -> None:
    services = slow_and_fast
    waiting = start_instance(
        services, "order_review", {"order_no": "SO-1", "amount": 500, "category": "other"}, AGENT
    )
    (task,) = get_instance(services, waiting.id, AGENT).tasks
    slow: dict[str, Any] = {}
    slow_thread = threading.Thread(
        target=lambda: slow.update(
            started=start_instance(services, "divide", {"total": 1, "parts": 1}, AGENT)
        )
    )
    slow_thread.start()
    time.sleep(0.5)  # let the slow start get into its step
    fast_start = start_instance(
        services, "order_review", {"order_no": "SO-2", "amount": 50, "category": "other"}, AGENT
    )
    completed = complete_task(services, task.id, {"approved": True}, AGENT)
    slow_still_running = slow_thread.is_alive()
    slow_thread.join()
    assert slow_still_running, "the other commands waited for the slow step to end"
    assert fast_start.status == "running" and completed.status == "completed"
    assert slow["started"].status == "error"  # the endless loop ended as an incident at the limit
    (incident,) = get_instance(services, slow["started"].id, AGENT).incidents
    assert incident.element_id == "compute"


@pytest.fixture
def on_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[Services]:
    """The lifecycle processes deployed on a SQLite file of this test's own."""
    path = tmp_path / "rma.sqlite3"
    shutil.copy(sqlite_template, path)
    settings = Settings.from_env(
        {}, data_dir=tmp_path, database_url=f"sqlite:///{path}", controlled_clock=True
    )
    services = bootstrap(settings)
    deploy(services, lifecycle_files(), ANALYST)
    yield services
    services.database.dispose()


def test_on_sqlite_a_write_from_a_stale_read_is_a_conflict_and_the_command_runs_again(
    on_sqlite: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite only: PostgreSQL locks the instance row as it reads it, so there is no stale read."""
    services = on_sqlite
    data = {"order_no": "SO-3", "amount": 500, "category": "other"}
    started = start_instance(services, "order_review", data, AGENT)
    with pytest.raises(WriteConflict), services.uow(optimistic=True) as stale:
        instance = stale.instances.lock(started.id)  # reads: a snapshot, no write lock yet
        start_instance(services, "order_review", data, AGENT)  # another command writes and commits
        stale.instances.set_status(instance, "suspended")
    attempts: list[int] = []

    run_step = services.steps.run

    def this_case_changes_between_read_and_write(request: StepRequest, *args: Any) -> Any:
        done = run_step(request, *args)
        if not isinstance(request.command, CompleteTask):
            return done
        attempts.append(1)
        if len(attempts) == 1:  # between this command's read and its write, this case changes
            with services.uow() as other:
                other.instances.set_status(other.instances.lock(started.id), "running")
                other.commit()
        return done

    (task,) = get_instance(services, started.id, AGENT).tasks
    monkeypatch.setattr(services.steps, "run", this_case_changes_between_read_and_write)
    assert complete_task(services, task.id, {"approved": True}, AGENT).status == "completed"
    assert len(attempts) == 2  # refused once, then run again on what was there
    assert get_instance(services, started.id, AGENT).tasks == []


def test_on_sqlite_writes_to_other_cases_during_a_step_cause_no_rerun(
    on_sqlite: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's snapshot spans the database: a read held through the step would clash with any write."""
    services = on_sqlite
    data = {"order_no": "SO-4", "amount": 500, "category": "other"}
    started = start_instance(services, "order_review", data, AGENT)
    attempts: list[int] = []

    run_step = services.steps.run

    def other_cases_start_between_read_and_write(request: StepRequest, *args: Any) -> Any:
        done = run_step(request, *args)
        if isinstance(request.command, CompleteTask):
            attempts.append(1)
            for _ in range(3):
                start_instance(services, "order_review", data, AGENT)
        return done

    (task,) = get_instance(services, started.id, AGENT).tasks
    monkeypatch.setattr(services.steps, "run", other_cases_start_between_read_and_write)
    assert complete_task(services, task.id, {"approved": True}, AGENT).status == "completed"
    assert len(attempts) == 1  # nothing it read had changed: no rerun
