"""`rma serve` as a real process tree: gunicorn workers, one scheduler child, and what happens when one dies.

Linux only (the tests read /proc to find the processes and the worker holding a connection).
Deadlines are upper bounds for a busy machine; nothing asserts how fast anything is.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from live_server import Server, alive, call, connection_holder, serving, step_machinery, wait_for
from sqlalchemy import select
from support import DATA, timer_firings

from rma_orchestrator.store.db import Database
from rma_orchestrator.store.models import Timer

Rma = Callable[..., Result]

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def _prepare(rma: Rma) -> str:
    """Migrate, deploy the timer and slow test processes, add a staff user; returns their API token."""
    for args in (
        ("db", "upgrade"),
        ("deploy", str(DATA / "timers"), str(DATA / "slow")),
        ("users", "add", "cs1", "--group", "customer_service"),
    ):
        result = rma(*args)
        assert result.exit_code == 0, result.output
    return str(rma("tokens", "create", "cs1").stdout.strip())


LEAD = timedelta(seconds=8)  # a start that answers slower than this would fire its own timer


def _start_waits(server: Server, token: str, count: int) -> list[int]:
    """``count`` cases waiting for a timer due ``LEAD`` after each one's start."""
    ids = []
    for _ in range(count):
        due = datetime.now(UTC) + LEAD
        body = {"process_key": "wait_date", "data": {"due": due.isoformat()}}
        status, body = call(server, "POST", "/api/v1/process-instances", token, body)
        assert status == 201 and body["status"] == "running", body
        ids.append(body["id"])
    return ids


def _timers(database: Database, instance_ids: list[int]) -> list[Timer]:
    with database.read() as session:
        return list(session.scalars(select(Timer).where(Timer.instance_id.in_(instance_ids))))


def _all_fired(database: Database, instance_ids: list[int]) -> list[Timer] | None:
    timers = _timers(database, instance_ids)
    return timers if len(timers) == len(instance_ids) and all(t.status == "fired" for t in timers) else None


def test_serve_runs_two_workers_and_one_scheduler_that_fires_api_timers_once(
    rma: Rma, env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    token = _prepare(rma)
    database = Database(db_url)
    host = socket.gethostname()
    with serving(env, tmp_path / "serve.log", "--workers", "2") as server:
        wait_for(
            lambda: len(server.workers()) == 2 and server.schedulers(), 60, "no 2 workers + scheduler", server
        )
        (scheduler,) = server.schedulers()
        others = [
            c for pid, c in server.children().items() if pid not in server.workers() | server.schedulers()
        ]
        assert all(step_machinery(command) for command in others), server.children()

        # timers created through the workers fire in the one scheduler process, each once
        ids = _start_waits(server, token, 10)
        timers = wait_for(lambda: _all_fired(database, ids), 60, "timers not fired within 60 s", server)
        assert {t.claimed_by for t in timers} == {f"{host}:{scheduler}"}
        assert set(timer_firings(database).values()) == {1}

        # a killed scheduler is replaced, and the new one fires timers
        os.kill(scheduler, signal.SIGKILL)
        replaced = wait_for(
            lambda: server.schedulers() - {scheduler},
            30,
            "the scheduler was not restarted within 30 s",
            server,
        )
        (successor,) = replaced
        assert len(server.schedulers()) == 1
        more = _start_waits(server, token, 3)
        timers = wait_for(
            lambda: _all_fired(database, more), 60, "timers not fired after the restart", server
        )
        assert {t.claimed_by for t in timers} == {f"{host}:{successor}"}

        # SIGTERM stops the whole tree
        tree = set(server.children())
        server.process.terminate()
        assert server.process.wait(timeout=60) == 0, server.output()
    wait_for(lambda: not any(alive(pid) for pid in tree), 30, f"children left running: {tree}")
    assert set(timer_firings(database).values()) == {1}
    database.dispose()


def test_a_killed_worker_is_replaced_and_its_command_leaves_nothing(
    rma: Rma, env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    token = _prepare(rma)
    key = f"RMA-KILL-{uuid.uuid4().hex[:8]}"
    env = {**env, "RMA_SCRIPT_TIME_LIMIT": "120"}  # the slow start counts for seconds
    with serving(env, tmp_path / "serve.log", "--workers", "2") as server:
        workers = wait_for(
            lambda: len(server.workers()) == 2 and server.workers(), 60, "no 2 workers", server
        )

        # a start that runs for seconds; kill -9 the worker that took it, half a second in
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.connect()
        body = {"process_key": "slow_start", "business_key": key, "data": {"rounds": 3000}}
        connection.request(
            "POST",
            "/api/v1/process-instances",
            json.dumps(body),
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        client_port = connection.sock.getsockname()[1]
        victim = wait_for(
            lambda: connection_holder(server.port, client_port, workers),
            30,
            "no worker took the request",
            server,
        )
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            connection.getresponse()
        connection.close()

        # the other worker keeps answering meanwhile
        for _ in range(5):
            assert call(server, "GET", "/api/v1/process-instances", token)[0] == 200

        # the master replaces the dead worker; with the survivor frozen, the newcomer answers alone
        (survivor,) = workers - {victim}
        (newcomer,) = wait_for(
            lambda: len(server.workers()) == 2 and server.workers() - workers, 30, "no new worker", server
        )
        assert newcomer != victim
        os.kill(survivor, signal.SIGSTOP)
        try:
            holder_seen = _answered_by(server, token, key, {survivor, newcomer})
        finally:
            os.kill(survivor, signal.SIGCONT)
        assert holder_seen == newcomer

        # nothing of the interrupted start was kept: its business key is free
        status, started = call(
            server, "POST", "/api/v1/process-instances", token, {**body, "data": {"rounds": 1}}
        )
        assert status == 201 and started["business_key"] == key and started["status"] == "completed", started
        status, listed = call(server, "GET", f"/api/v1/process-instances?business_key={key}", token)
        assert status == 200 and listed["total"] == 1

        # kill -9 the master: workers and scheduler leave by themselves, none is orphaned
        tree = set(server.children())
        assert len(tree) == 3
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
    wait_for(lambda: not any(alive(pid) for pid in tree), 30, f"children left running: {tree}")


def _answered_by(server: Server, token: str, key: str, workers: set[int]) -> int | None:
    """Ask for the instances with ``key`` (none: the killed start left nothing); which worker answered."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.connect()
        connection.request(
            "GET",
            f"/api/v1/process-instances?business_key={key}",
            headers={"Authorization": f"Bearer {token}"},
        )
        holder = None
        client_port = connection.sock.getsockname()[1]
        deadline = time.monotonic() + 30
        while holder is None and time.monotonic() < deadline:
            holder = connection_holder(server.port, client_port, workers)
            time.sleep(0.01)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["total"] == 0
        return holder
    finally:
        with suppress(OSError):
            connection.close()


def test_serve_dev_is_one_werkzeug_process_with_the_scheduler(
    rma: Rma, env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    token = _prepare(rma)
    database = Database(db_url)
    with serving(env, tmp_path / "serve.log", "--dev") as server:
        assert all(step_machinery(command) for command in server.children().values()), server.children()
        ids = _start_waits(server, token, 3)
        timers = wait_for(lambda: _all_fired(database, ids), 60, "timers not fired within 60 s", server)
        assert Counter(t.claimed_by for t in timers) == {f"{socket.gethostname()}:{server.process.pid}": 3}
        assert "development server" in server.output()
    database.dispose()
