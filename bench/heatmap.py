"""Speed of the SLA heatmap's aggregates (store/heatmap.py) on --cases synthetic cases of one version.

Fills a fresh, migrated database with Core executemany: cases registered over the last 120 days (a
3 KB state and data each, as real cases have), a completed review task per case guarded by a
first-response SLA timer (fired or cancelled, ``attached_to`` the task), an open inspection task
and a pending intermediate timer for the running ones. Then times every figure of the heatmap and of
one element's late cases for the last 7, 30 and 90 days, --runs times each, in ms (the diagram's XML
read and the definition's parse are not part of it: they are one row and a cache). SQLite always;
--postgres adds a private PostgreSQL database on 127.0.0.1. Goal: 30 days under 500 ms.
Usage: python bench/heatmap.py [--cases 100000] [--runs 3] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import private_postgres  # noqa: E402

from rma_orchestrator.store import heatmap as figures  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402
from rma_orchestrator.store.models import TABLES  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 5000


def fill(database: Database, cases: int, now: datetime) -> None:
    pick = random.Random(1)
    pad = "x" * 3000
    with database.engine.begin() as connection:
        connection.execute(insert(TABLES["deployment"]).values(id=1, created_at=now, content_hash="h"))
        connection.execute(
            insert(TABLES["process_definition"]).values(
                id=1, process_key="rma_case", version=1, name="n", deployment_id=1,
                content_hash="h", files={}, main_file="m", deployed_at=now,
            )
        )  # fmt: skip
        for first in range(1, cases + 1, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {"process_instance": [], "human_task": [], "timer": []}
            for number in range(first, min(cases, first + BATCH - 1) + 1):
                _case(rows, number, now, pick, pad)
            for name, batch in rows.items():
                connection.execute(insert(TABLES[name]), batch)


def _case(
    rows: dict[str, list[dict[str, Any]]], number: int, now: datetime, pick: random.Random, pad: str
) -> None:
    started = now - timedelta(days=pick.uniform(0, 120))
    running = pick.random() < 0.3
    rows["process_instance"].append(
        {
            "id": number, "definition_id": 1, "process_key": "rma_case", "version": 1,
            "business_key": f"RMA-{number}", "status": "running" if running else "completed",
            "started_at": started, "state": pad, "data": {"pad": pad}, "element_states": {},
            "projection": {}, "revision": 1, "kind": "return",
            "product_category": pick.choice(["electronics", "home_goods", "other"]),
            "reason": pick.choice(["no_reason", "wrong_item", "quality_in_use"]),
        }
    )  # fmt: skip
    review = str(uuid.uuid4())
    task = {"instance_id": number, "process_key": "rma_case", "created_at": started, "group_name": "cs"}
    answered = started + timedelta(hours=pick.uniform(1, 30))
    rows["human_task"].append(
        {**task, "id": review, "element_id": "review_case", "name": "Review", "status": "completed",
         "due_at": started + timedelta(hours=24), "completed_at": answered}
    )  # fmt: skip
    timer = {"instance_id": number, "process_key": "rma_case"}
    rows["timer"].append(
        {**timer, "task_id": str(uuid.uuid4()), "element_id": "first_response_sla", "attached_to": review,
         "due_at": started + timedelta(hours=24), "sla": "first_response",
         "status": "fired" if answered > started + timedelta(hours=24) else "cancelled"}
    )  # fmt: skip
    if running:
        rows["human_task"].append(
            {**task, "id": str(uuid.uuid4()), "element_id": "inspect_goods", "name": "Inspect",
             "status": "open", "due_at": None, "completed_at": None}
        )  # fmt: skip
        rows["timer"].append(
            {**timer, "task_id": str(uuid.uuid4()), "element_id": "wait_for_goods",
             "due_at": started + timedelta(days=7), "status": "pending", "attached_to": None, "sla": None}
        )  # fmt: skip


def measure(url: str, cases: int, runs: int) -> None:
    database = Database(url)
    upgrade(database)
    now = datetime.now(UTC)
    try:
        fill(database, cases, now)
        with database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        for days in (7, 30, 90):
            chosen = figures.Cases("rma_case", 1, now - timedelta(days=days), now, frozenset({"rma_case"}))
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                with database.engine.connect() as connection:
                    figures.task_figures(connection, chosen)
                    figures.timer_figures(connection, chosen)
                    figures.message_waits(connection, chosen)
                heat = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                with database.engine.connect() as connection:
                    figures.late_cases(connection, chosen, "review_case")
                    figures.late_breakdown(connection, chosen, "review_case", "reason")
                    figures.late_breakdown(connection, chosen, "review_case", "category")
                times.append(f"{heat:.0f}+{(time.perf_counter() - started) * 1000:.0f}")
            print(
                f"{database.engine.dialect.name}: last {days} days: heatmap+late {' '.join(times)} ms",
                flush=True,
            )
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.cases, args.runs)
    if args.postgres:
        with private_postgres(PG_ADMIN, "rma_bench_heatmap") as url:
            measure(url, args.cases, args.runs)


if __name__ == "__main__":
    main()
