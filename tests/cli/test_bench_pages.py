"""bench/pages.py at a small size: the bulk fill opens the tasks it says and the timed pages show them.

Results only; the benchmark itself measures speed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select

from rma_orchestrator.store.models import TABLES

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pages.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_fill_and_one_timed_request_of_each_page(bench: ModuleType, tmp_path: Path) -> None:
    services = bench.prepare(f"sqlite:///{tmp_path / 'pages.sqlite3'}", tmp_path)
    try:
        filled = bench.fill(services, 50)
        task = TABLES["human_task"]
        with services.database.reading() as connection:
            open_tasks = connection.execute(select(func.count()).where(task.c.status == "open")).scalar_one()
            agents = connection.execute(
                select(func.count()).where(task.c.status == "open", task.c.assignee == bench.AGENT_NAME)
            ).scalar_one()
        assert filled.open_tasks == open_tasks == 50
        assert len(filled.task_ids) == len(set(filled.task_ids)) > 0  # the copies' tasks

        agent = bench.sign_in(services, bench.AGENT_NAME)
        manager = bench.sign_in(services, bench.MANAGER_NAME)
        timed = bench.pages(agent, manager, filled)
        timings = bench.measure(services, timed, requests=2, warm_up=0)
        assert {page.label: len(timings[page.label].seconds) for page in timed} == {p.label: 2 for p in timed}

        assert bench.inbox_total(manager, "/tasks?view=all") == 50
        assert bench.inbox_total(agent, "/tasks?view=mine") == agents
        assert bench.inbox_total(manager, f"/tasks?view=all&q={filled.phones[0]}") >= 1
        page = manager.get(f"/tasks/{filled.task_ids[0]}")
        assert page.status_code == 200 and filled.task_ids[0] in page.get_data(as_text=True)
    finally:
        services.database.dispose()
