"""Two real `rma scheduler` processes share one PostgreSQL database: every timer fires exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from support import AGENT, ANALYST, empty_postgres, timer_firings

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.store.models import ProcessInstance, Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"
COUNT = 2000


def test_two_scheduler_processes_fire_each_of_2000_timers_once(pg_database: str, tmp_path: Path) -> None:
    empty_postgres(pg_database)
    services = bootstrap(Settings.from_env({}, data_dir=tmp_path, database_url=pg_database))
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    first_due = datetime.now(UTC) + timedelta(seconds=15)

    def start(i: int) -> None:
        due = first_due + timedelta(milliseconds=i * 2)  # 2,000 timers due within 4 s
        start_instance(services, "wait_date", {"due": due.isoformat()}, AGENT)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(COUNT)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    env.update({"RMA_DATABASE_URL": pg_database, "RMA_DATA_DIR": str(tmp_path)})
    schedulers = [
        subprocess.Popen(
            [sys.executable, "-m", "rma_orchestrator.cli", "scheduler", "--sweep-seconds", "0.5"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with services.database.read() as session:
                open_ = session.scalar(
                    select(func.count()).select_from(Timer).where(Timer.status.in_(("pending", "claimed")))
                )
            if open_ == 0:
                break
            for process in schedulers:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.5)
    finally:
        for process in schedulers:
            process.terminate()
        for process in schedulers:
            process.wait(timeout=30)
    with services.database.read() as session:
        statuses = Counter(session.scalars(select(Timer.status)).all())
        completed = session.scalar(
            select(func.count()).select_from(ProcessInstance).where(ProcessInstance.status == "completed")
        )
        workers = Counter(session.scalars(select(Timer.claimed_by)).all())
    fired = timer_firings(services.database)
    services.database.dispose()
    assert statuses == {"fired": COUNT}
    assert len(fired) == COUNT and set(fired.values()) == {1}
    assert completed == COUNT
    assert len(workers) == 2, f"both schedulers should have fired timers: {workers}"
