"""kill -9 an `rma scheduler` holding claims on PostgreSQL: another scheduler fires them within 10 s, once.

Two schedulers start on a backlog of due timers and share it. As soon as the first one holds
claims it has not fired yet, it is frozen (SIGSTOP, so that what it holds can be read without a
race) and killed. Its leases are no longer renewed; the second scheduler must fire each of
those timers within the 10 s the issue allows after the death, and every timer exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from support import AGENT, ANALYST, RMA, empty_postgres, timer_firings

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.store.models import Timer

TIMERS = Path(__file__).parents[1] / "data" / "timers"
COUNT = 2000
READY = "scheduler running"


def _held_by(services: Services, worker: str) -> set[int]:
    with services.database.read() as session:
        return set(
            session.scalars(select(Timer.id).where(Timer.status == "claimed", Timer.claimed_by == worker))
        )


def _open(services: Services) -> int:
    with services.database.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Timer).where(Timer.status.in_(("pending", "claimed")))
            )
            or 0
        )


def test_the_claims_of_a_killed_scheduler_fire_within_10_s_in_another(
    pg_database: str, tmp_path: Path
) -> None:
    empty_postgres(pg_database)
    services = bootstrap(Settings.from_env({}, data_dir=tmp_path, database_url=pg_database))
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    started_at = datetime.now(UTC)
    due = (started_at + timedelta(seconds=1)).isoformat()

    def start(_: int) -> None:
        with services.clock.pinned(started_at):  # every start sees its timer still to come
            start_instance(services, "wait_date", {"due": due}, AGENT)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(COUNT)))
    time.sleep(max(0.0, (started_at + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))

    env = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    env.update({"RMA_DATABASE_URL": pg_database, "RMA_DATA_DIR": str(tmp_path)})
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    schedulers: list[subprocess.Popen[bytes]] = []
    for log in logs:
        with log.open("wb") as output:
            schedulers.append(subprocess.Popen([*RMA, "scheduler"], env=env, stdout=output, stderr=output))
    first, second = schedulers
    try:
        killed_at: datetime | None = None
        held: set[int] = set()
        worker = f"{socket.gethostname()}:{first.pid}"
        deadline = time.monotonic() + 300
        while killed_at is None:
            assert second.poll() is None, logs[1].read_text()
            assert _open(services), "the backlog was fired before the first scheduler was seen holding claims"
            assert time.monotonic() < deadline, "the first scheduler held no claims within 300 s"
            if _held_by(services, worker):
                first.send_signal(signal.SIGSTOP)
                held = _held_by(services, worker)  # frozen: this is what it holds as it dies
                if held:
                    first.kill()
                    killed_at = datetime.now(UTC)
                else:
                    first.send_signal(signal.SIGCONT)
            time.sleep(0.005)
        first.wait(timeout=30)

        deadline = time.monotonic() + 300
        while _open(services):
            assert second.poll() is None, logs[1].read_text()
            assert time.monotonic() < deadline, f"{_open(services)} timers still open after 300 s"
            time.sleep(0.2)
    finally:
        for process in schedulers:
            if process.poll() is None:
                process.terminate()
        for process in schedulers:
            process.wait(timeout=30)

    with services.database.read() as session:
        taken_over = list(session.scalars(select(Timer).where(Timer.id.in_(held))))
        statuses = set(session.scalars(select(Timer.status)))
    fired = timer_firings(services.database)
    services.database.dispose()
    assert statuses == {"fired"}
    assert len(fired) == COUNT and set(fired.values()) == {1}, "each timer has exactly one timer_fired event"
    assert {t.claimed_by for t in taken_over} == {f"{socket.gethostname()}:{second.pid}"}
    latest = max(t.fired_at for t in taken_over if t.fired_at is not None)
    assert killed_at is not None and len(taken_over) == len(held)
    assert latest - killed_at <= timedelta(seconds=10), (
        f"{len(held)} timers of the killed scheduler fired up to {latest - killed_at} after its death"
    )
