"""Speed of the managers' dashboard figures (service/dashboard.py) on --cases synthetic cases.

Fills a fresh, migrated database with Core executemany: cases registered over the last 120 days
(kind, reason, product category, status, outcome and end spread at random; a 3 KB state and data
each, so that SQLite keeps the later columns in overflow pages as it does for real cases), one
completed review task per case and an open task for the running ones, one first-response SLA
timer (fired or met), a repair attempt per repair case and a score per ended case. The rows are
for reading only. Then times get_dashboard for the last 7, 30 and 90 days, --runs times each, and
prints the times in ms. SQLite always (a file); --postgres adds a private PostgreSQL database on
127.0.0.1 (analysed after the fill). Goal: the default period (30 days) under 500 ms.
Usage: python bench/dashboard.py [--cases 100000] [--runs 3] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import MANAGER, private_postgres  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.service.context import Services  # noqa: E402
from rma_orchestrator.service.dashboard import get_dashboard, parse_period, today_of  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402
from rma_orchestrator.store.models import TABLES  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 5000


def fill(services: Services, cases: int) -> None:
    now = datetime.now(UTC)
    pick = random.Random(1)
    pad = "x" * 3000
    with services.database.engine.begin() as connection:
        connection.execute(insert(TABLES["deployment"]).values(id=1, created_at=now, content_hash="h"))
        definition = {"id": 1, "process_key": "rma_case", "version": 1, "name": "n", "deployment_id": 1}
        connection.execute(
            insert(TABLES["process_definition"]).values(
                **definition, content_hash="h", files={}, main_file="m", deployed_at=now
            )
        )
        connection.execute(
            insert(TABLES["product"]).values(id=1, serial_no="SN", created_at=now, updated_at=now)
        )
        for first in range(1, cases + 1, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {
                name: []
                for name in (
                    "process_instance",
                    "human_task",
                    "timer",
                    "product_repair",
                    "satisfaction_score",
                )
            }
            for number in range(first, min(cases, first + BATCH - 1) + 1):
                _case(rows, number, now, pick, pad)
            for name, batch in rows.items():
                if batch:
                    connection.execute(insert(TABLES[name]), batch)


def _case(
    rows: dict[str, list[dict[str, Any]]], number: int, now: datetime, pick: random.Random, pad: str
) -> None:
    started = now - timedelta(days=pick.uniform(0, 120))
    ended = pick.random() < 0.7
    kind = pick.choice(["return", "exchange", "repair", "complaint"])
    key = f"RMA-{number}"
    rows["process_instance"].append(
        {
            "id": number,
            "definition_id": 1,
            "process_key": "rma_case",
            "version": 1,
            "business_key": key,
            "status": "completed" if ended else "running",
            "outcome": pick.choice(["end_refunded", "end_exchanged", "end_repaired"]) if ended else None,
            "started_at": started,
            "ended_at": started + timedelta(days=pick.uniform(1, 20)) if ended else None,
            "state": pad,
            "data": {"pad": pad},
            "element_states": {},
            "projection": {},
            "revision": 1,
            "kind": kind,
            "product_category": pick.choice(["electronics", "home_goods", "other"]),
            "reason": pick.choice(["no_reason", "wrong_item", "quality_in_use"]),
        }
    )
    task = {"instance_id": number, "process_key": "rma_case", "created_at": started}
    rows["human_task"].append(
        {
            **task,
            "id": str(uuid.uuid4()),
            "element_id": "review_case",
            "name": "Review",
            "group_name": "customer_service",
            "status": "completed",
            "due_at": None,
            "completed_at": started + timedelta(hours=pick.uniform(1, 30)),
        }
    )
    if not ended:
        rows["human_task"].append(
            {
                **task,
                "id": str(uuid.uuid4()),
                "element_id": "inspect_goods",
                "name": "Inspect",
                "group_name": "warehouse",
                "status": "open",
                "due_at": started + timedelta(days=2),
                "completed_at": None,
            }
        )
    rows["timer"].append(
        {
            "instance_id": number,
            "task_id": str(uuid.uuid4()),
            "element_id": "first_response_timer",
            "process_key": "rma_case",
            "due_at": started + timedelta(hours=24),
            "status": pick.choice(["fired", "cancelled"]),
            "sla": "first_response",
        }
    )
    if kind == "repair":
        rows["product_repair"].append(
            {
                "product_id": 1,
                "instance_id": number,
                "business_key": key,
                "entry_no": 0,
                "started_on": date(2026, 1, 1),
                "ended_on": date(2026, 1, 5),
                "days": pick.randint(1, 20),
                "in_warranty": True,
                "fixed": pick.random() < 0.8,
                "recorded_at": now,
            }
        )
    if ended:
        rows["satisfaction_score"].append(
            {
                "instance_id": number,
                "business_key": key,
                "entry_no": 1,
                "score": pick.randint(1, 5),
                "source": "phone_call",
                "reached": True,
                "recorded_at": now,
            }
        )


def measure(url: str, data_dir: Path, cases: int, runs: int) -> None:
    database = Database(url)
    upgrade(database)
    database.dispose()
    services = bootstrap(Settings.from_env({}, data_dir=data_dir, database_url=url, controlled_clock=True))
    try:
        fill(services, cases)
        with services.database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        for days in ("7", "30", "90"):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                get_dashboard(services, MANAGER, parse_period({"days": days}, today_of(services)))
                times.append((time.perf_counter() - started) * 1000)
            shown = " ".join(f"{t:.0f}" for t in times)
            print(f"{services.database.engine.dialect.name}: last {days} days: {shown} ms", flush=True)
    finally:
        services.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{folder}/bench.sqlite3", Path(folder), args.cases, args.runs)
        if args.postgres:
            with private_postgres(PG_ADMIN, "rma_bench_dashboard") as url:
                measure(url, Path(folder), args.cases, args.runs)


if __name__ == "__main__":
    main()
