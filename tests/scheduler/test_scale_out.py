"""Two real `rma scheduler` processes share one PostgreSQL database: every timer fires exactly once.

Nothing here depends on how fast the machine is. Both schedulers are up before any timer is
due, and the instances are started as of a moment before every due time: a start that sees
its timer already due fires it itself (no scheduler claims it), which on a slow machine
used to happen to timers whose due time passed while the 2,000 starts were still running.
Timeouts are upper bounds only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from support import AGENT, ANALYST, RMA, empty_postgres, timer_firings

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.store.models import ProcessInstance, Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"
COUNT = 2000
READY = "scheduler running"


def _log(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _check_alive(processes: list[subprocess.Popen[str]], logs: list[Path]) -> None:
    for process, log in zip(processes, logs, strict=True):
        assert process.poll() is None, f"scheduler {process.pid} exited:\n{_log(log)}"


def test_two_scheduler_processes_fire_each_of_2000_timers_once(pg_database: str, tmp_path: Path) -> None:
    empty_postgres(pg_database)
    services = bootstrap(Settings.from_env({}, data_dir=tmp_path, database_url=pg_database))
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    env.update({"RMA_DATABASE_URL": pg_database, "RMA_DATA_DIR": str(tmp_path)})
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    schedulers = []
    for log in logs:
        with log.open("w") as output:  # the child keeps its own copy of the descriptor
            schedulers.append(
                subprocess.Popen(
                    [*RMA, "scheduler", "--sweep-seconds", "0.5"],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
    try:
        deadline = time.monotonic() + 120
        while not all(READY in _log(log) for log in logs):
            _check_alive(schedulers, logs)
            assert time.monotonic() < deadline, "the schedulers did not report ready within 120 s"
            time.sleep(0.1)

        # Both schedulers are up. Every start runs as of `started_at`, before its timer's due
        # time, however long the 2,000 starts take; a timer whose due time passes meanwhile
        # is left to the schedulers, which fire it as soon as its start has committed.
        started_at = datetime.now(UTC)
        first_due = started_at + timedelta(seconds=2)

        def start(i: int) -> str:
            due = first_due + timedelta(milliseconds=i * 2)  # 2,000 timers due within 4 s
            with services.clock.pinned(started_at):
                return start_instance(services, "wait_date", {"due": due.isoformat()}, AGENT).status

        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(start, range(COUNT))) == {"running"}

        deadline = time.monotonic() + 300
        while True:
            with services.database.read() as session:
                open_ = session.scalar(
                    select(func.count()).select_from(Timer).where(Timer.status.in_(("pending", "claimed")))
                )
            if open_ == 0:
                break
            _check_alive(schedulers, logs)
            assert time.monotonic() < deadline, f"{open_} timers still open after 300 s"
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
    assert len(fired) == COUNT and set(fired.values()) == {1}, "each timer has exactly one timer_fired event"
    assert completed == COUNT
    names = {f"{socket.gethostname()}:{process.pid}" for process in schedulers}
    assert set(workers) == names, f"both schedulers {names}, and nothing else, fire timers: {workers}"
