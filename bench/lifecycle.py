"""Lifecycle benchmark: the test process end to end, engine-only vs through the service layer.

(a) engine only, in memory: the same three commands through the engine's one step function
    with the same sandboxed script engine, each restoring the workflow from the state the
    previous one serialised (start → user task → message → end);
(b) the same lifecycle through the service layer (one transaction per command) on SQLite and
    on PostgreSQL.
Prints instances/s for each and the ratio (b)/(a); SQLite also without the live-workflow cache.
The configurations take turns in rounds, so a load that comes and goes on a shared machine
falls on all of them alike; a ratio is the median of each round's service rate over the
engine-only rate of the same round.
Usage: python bench/lifecycle.py [N] [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import AGENT, ANALYST, lifecycle_files  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.engine.bundle import load_bundle  # noqa: E402
from rma_orchestrator.engine.sandbox import make_script_engine  # noqa: E402
from rma_orchestrator.engine.step import CompleteTask, DeliverMessage, Start, step  # noqa: E402
from rma_orchestrator.service.definitions import deploy  # noqa: E402
from rma_orchestrator.service.instances import get_instance, start_instance  # noqa: E402
from rma_orchestrator.service.messages import deliver_message  # noqa: E402
from rma_orchestrator.service.tasks import complete_task, list_tasks  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = {"order_no": "SO-1", "amount": 500, "category": "electronics"}


def engine_only(n: int) -> float:
    """The same three commands through the engine's one step function, restoring from the stored state."""
    definition = load_bundle(lifecycle_files()).processes["order_review"]
    engine = make_script_engine()
    began = time.perf_counter()
    for _ in range(n):
        result = step(definition, engine, Start(START))
        assert result.error is None
        (task,) = result.snapshot.user_tasks
        state = result.state
        result = step(
            definition,
            engine,
            CompleteTask(task.task_id, {"approved": True}),
            load_state=lambda saved=state: saved,
        )
        assert result.error is None
        state = result.state
        result = step(
            definition,
            engine,
            DeliverMessage("payment_received", {"ref": "P"}),
            load_state=lambda saved=state: saved,
        )
        assert result.accepted and result.snapshot.outcome == "end_done"
    return n / (time.perf_counter() - began)


class ServiceLifecycle:
    """Services on one database, deployed and warmed up once; ``run(n)`` times n lifecycles."""

    def __init__(self, url: str, workflow_cache: int = 256) -> None:
        self.database = Database(url)
        upgrade(self.database)
        settings = Settings.from_env({}, database_url=url, workflow_cache_size=workflow_cache)
        self.services = bootstrap(settings, database=self.database)
        deploy(self.services, lifecycle_files(), ANALYST)
        self.run(10)  # parse and cache the definition, warm the statement caches

    def run(self, n: int) -> float:
        services = self.services
        began = time.perf_counter()
        for _ in range(n):
            started = start_instance(services, "order_review", START, AGENT)
            task = list_tasks(services, AGENT, per_page=1).items[0]
            complete_task(services, task.id, {"approved": True}, AGENT)
            deliver_message(services, "payment_received", started.business_key, {"ref": "P"}, AGENT)
        elapsed = time.perf_counter() - began
        assert get_instance(services, started.id, AGENT).outcome == "end_done"
        return n / elapsed

    def close(self) -> None:
        self.database.dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    per_round = max(n // rounds, 1)
    engine_only(20)  # warm caches
    name = f"rma_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        pg_url: str | None = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    except Exception as error:  # noqa: BLE001
        print(f"PostgreSQL skipped ({str(error).splitlines()[0]})")
        pg_url = None
    rates: dict[str, list[float]] = {"engine": [], "sqlite": [], "sqlite_no_cache": [], "postgresql": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            benches = {
                "sqlite": ServiceLifecycle(f"sqlite:///{tmp}/bench.sqlite3"),
                "sqlite_no_cache": ServiceLifecycle(f"sqlite:///{tmp}/no-cache.sqlite3", workflow_cache=0),
            }
            if pg_url is not None:
                benches["postgresql"] = ServiceLifecycle(pg_url)
            for _ in range(rounds):
                rates["engine"].append(engine_only(per_round))
                for key, bench in benches.items():
                    rates[key].append(bench.run(per_round))
            for bench in benches.values():
                bench.close()
    finally:
        if pg_url is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    a = statistics.median(rates["engine"])
    print(f"{rounds} rounds of {per_round} instances each; medians (a ratio: per round, against that round)")
    print(f"(a) engine only (in memory, restored at each command): {a:8.1f} instances/s")
    for key, label in [
        ("sqlite", "(b) service layer, SQLite (file, WAL)"),
        ("sqlite_no_cache", "    the same without the workflow cache"),
        ("postgresql", "(b) service layer, PostgreSQL"),
    ]:
        if rates[key]:
            ratios = [b / e for b, e in zip(rates[key], rates["engine"], strict=True)]
            print(
                f"{label:40s} {statistics.median(rates[key]):8.1f} instances/s  ratio "
                f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f})"
            )


if __name__ == "__main__":
    main()
