"""Lifecycle benchmark: the test process end to end, engine-only vs through the service layer.

(a) engine only, in memory: the same three commands through the engine's one step function
    with the same sandboxed script engine, each restoring the workflow from the state the
    previous one serialised (start → user task → message → end);
(b) the same lifecycle through the service layer (one transaction per command) on SQLite and
    on PostgreSQL.
Prints instances/s for each and the ratio (b)/(a).  Usage: python bench/lifecycle.py [N]
"""

from __future__ import annotations

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


def through_service(url: str, n: int) -> float:
    database = Database(url)
    upgrade(database)
    services = bootstrap(Settings.from_env({}, database_url=url), database=database)
    deploy(services, lifecycle_files(), ANALYST)
    began = time.perf_counter()
    for _ in range(n):
        started = start_instance(services, "order_review", START, AGENT)
        task = list_tasks(services, AGENT, per_page=1).items[0]
        complete_task(services, task.id, {"approved": True}, AGENT)
        deliver_message(services, "payment_received", started.business_key, {"ref": "P"}, AGENT)
    elapsed = time.perf_counter() - began
    assert get_instance(services, started.id, AGENT).outcome == "end_done"
    database.dispose()
    return n / elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    engine_only(20)  # warm caches
    a = engine_only(n)
    print(f"(a) engine only (in memory, serialised at each wait): {a:8.1f} instances/s")
    with tempfile.TemporaryDirectory() as tmp:
        b_sqlite = through_service(f"sqlite:///{tmp}/bench.sqlite3", n)
    print(f"(b) service layer, SQLite (file, WAL):  {b_sqlite:8.1f} instances/s  ratio {b_sqlite / a:.2f}")
    name = f"rma_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        print(f"(b) service layer, PostgreSQL: skipped ({str(error).splitlines()[0]})")
        return
    try:
        b_pg = through_service(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", n)
        print(f"(b) service layer, PostgreSQL:          {b_pg:8.1f} instances/s  ratio {b_pg / a:.2f}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
