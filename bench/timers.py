"""Timer benchmarks: lag of real-time firing, and a storm of timers due at once.

(a) 1,000 timers spread over 60 s of real time, fired by an in-process scheduler on SQLite:
    lag p50/p99 (target p99 <= 1 s).
(b) 10,000 timers already due when the schedulers start: SQLite with one `rma scheduler`
    process, PostgreSQL with two; seconds until all fired (target <= 60 s) and duplicates
    (target 0).
(c) 1,000 timers created over 60 s through HTTP by `rma serve --workers 4` (gunicorn), each due
    0.2-5 s after it is created, fired by the one scheduler process, which hears of none of them
    from the workers: SQLite and PostgreSQL; lag p50/p99/max (target p99 <= 1 s), duplicates,
    and which processes fired them (target: one).
Usage: python bench/timers.py [lag|storm|http|all] [--storm-count N] [--http-count N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import AGENT, ANALYST, timer_firings  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.scheduler import TimerScheduler  # noqa: E402
from rma_orchestrator.service.context import Services  # noqa: E402
from rma_orchestrator.service.definitions import deploy  # noqa: E402
from rma_orchestrator.service.instances import start_instance  # noqa: E402
from rma_orchestrator.service.users import add_user, create_token  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402
from rma_orchestrator.store.models import Timer  # noqa: E402

TIMERS = ROOT / "tests" / "data" / "timers"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _services(url: str) -> Services:
    database = Database(url)
    upgrade(database)
    services = bootstrap(Settings.from_env({}, database_url=url), database=database)
    deploy(services, {p.name: p.read_bytes() for p in TIMERS.glob("*.bpmn")}, ANALYST)
    return services


def _create(services: Services, dues: list[datetime], threads: int) -> float:
    began = time.perf_counter()

    def start(due: datetime) -> None:
        start_instance(services, "wait_date", {"due": due.isoformat()}, AGENT)

    with ThreadPoolExecutor(threads) as pool:
        for done, _ in enumerate(pool.map(start, dues), 1):
            if done % 1000 == 0:
                print(f"  created {done}/{len(dues)}", flush=True)
    return time.perf_counter() - began


def _open_timers(services: Services) -> int:
    with services.database.read() as session:
        return session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status.in_(("pending", "claimed")))
        )


def _wait_until(condition: Callable[[], bool], limit: float) -> float:
    began = time.perf_counter()
    while not condition():
        if time.perf_counter() - began > limit:
            raise TimeoutError(f"not done after {limit:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - began


def _duplicates(services: Services) -> int:
    return sum(count - 1 for count in timer_firings(services.database).values())


def _lags(services: Services) -> list[float]:
    with services.database.read() as session:
        return sorted(session.scalars(select(Timer.lag_seconds).where(Timer.status == "fired")))


def _percentile(values: list[float], share: float) -> float:
    return values[max(0, int(len(values) * share) - 1)]


def lag(count: int = 1000, spread: float = 60.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = _services(f"sqlite:///{tmp}/lag.sqlite3")
        scheduler = TimerScheduler(services, sweep_seconds=2.0)
        scheduler.start()
        first = datetime.now(UTC) + timedelta(seconds=15)
        dues = [first + timedelta(seconds=spread * i / count) for i in range(count)]
        created = _create(services, dues, threads=1)
        print(f"  created {count} instances in {created:.1f} s")
        _wait_until(lambda: _open_timers(services) == 0, spread + 120)
        scheduler.shutdown()
        lags = _lags(services)
        p50 = statistics.median(lags)
        p99 = _percentile(lags, 0.99)
        print(
            f"(a) lag, {len(lags)} timers over {spread:.0f} s, SQLite, one process: "
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms, "
            f"duplicates {_duplicates(services)}"
        )


def _storm(url: str, count: int, processes: int, label: str, threads: int) -> None:
    services = _services(url)
    due = datetime.now(UTC) + timedelta(seconds=5)
    created = _create(services, [due] * count, threads=threads)
    print(f"  created {count} instances in {created:.1f} s")
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    env["RMA_DATABASE_URL"] = url
    command = [sys.executable, "-m", "rma_orchestrator.cli", "scheduler", "--sweep-seconds", "1"]
    began = time.perf_counter()
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(processes)]
    try:
        _wait_until(lambda: _open_timers(services) == 0, 600)
        elapsed = time.perf_counter() - began
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    with services.database.read() as session:
        statuses = dict(Counter(session.scalars(select(Timer.status))))
    print(
        f"(b) storm, {count} timers due at once, {label}, {processes} process(es): all fired in "
        f"{elapsed:.1f} s ({count / elapsed:.0f} timers/s), timers {statuses}, "
        f"duplicates {_duplicates(services)}"
    )
    services.database.dispose()


def storm(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # one thread: SQLite has one writer anyway, and four starting at once in one process can
        # run out of conflict retries (WriteConflict) since the optimistic SQLite path came in
        _storm(f"sqlite:///{tmp}/storm.sqlite3", count, 1, "SQLite", threads=1)
    name = f"rma_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _storm(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", count, 2, "PostgreSQL", threads=4)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _post(base: str, token: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/process-instances",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201, response.status


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(url: str, workers: int) -> Iterator[str]:
    """`rma serve --workers N` on ``url``, its scheduler child up; yields its base URL, stops it after."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    env["RMA_DATABASE_URL"] = url
    command = [sys.executable, "-m", "rma_orchestrator.cli", "serve", "--port", str(port)]
    with tempfile.TemporaryFile() as output:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stdout=output, stderr=subprocess.DEVNULL
        )
        try:

            def ready() -> bool:  # the scheduler child says so once it runs; it starts after the workers
                output.seek(0)
                return b"scheduler running" in output.read()

            _wait_until(ready, 60)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=60)


def _http(url: str, label: str, count: int, spread: float, workers: int = 4, clients: int = 8) -> None:
    services = _services(url)
    add_user(services, "bench", ["customer_service"], "staff")
    token = create_token(services, "bench")
    with _serving(url, workers) as base:
        began = time.monotonic()

        def create(i: int) -> None:  # paced: timer i is created at began + spread * i / count
            time.sleep(max(0.0, began + spread * i / count - time.monotonic()))
            due = datetime.now(UTC) + timedelta(seconds=0.2 + 4.8 * ((i * 7919) % count) / count)
            _post(base, token, {"process_key": "wait_date", "data": {"due": due.isoformat()}})

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(create, range(count)))
        _wait_until(lambda: _open_timers(services) == 0, 120)
    lags = _lags(services)
    with services.database.read() as session:
        firing = Counter(session.scalars(select(Timer.claimed_by).where(Timer.status == "fired")))
    p50, p99 = statistics.median(lags), _percentile(lags, 0.99)
    print(
        f"(c) lag, {len(lags)} timers created over {spread:.0f} s through HTTP ({workers} gunicorn workers, "
        f"due 0.2-5 s after creation), {label}, one scheduler process: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms, "
        f"duplicates {_duplicates(services)}, fired by {len(firing)} process(es)"
    )
    services.database.dispose()


def http(count: int, spread: float = 60.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _http(f"sqlite:///{tmp}/http.sqlite3", "SQLite", count, spread)
    name = f"rma_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _http(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", count, spread)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="?", default="all", choices=["lag", "storm", "http", "all"])
    parser.add_argument("--storm-count", type=int, default=10_000)
    parser.add_argument("--http-count", type=int, default=1000)
    args = parser.parse_args()
    if args.which in ("lag", "all"):
        lag()
    if args.which in ("storm", "all"):
        storm(args.storm_count)
    if args.which in ("http", "all"):
        http(args.http_count)


if __name__ == "__main__":
    main()
