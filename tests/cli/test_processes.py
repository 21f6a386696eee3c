"""A web-only `rma serve --no-scheduler` and a separate `rma scheduler` share one database."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from click.testing import Result
from sqlalchemy import select
from support import DATA, RMA, free_port

from rma_orchestrator.service.context import Services
from rma_orchestrator.store.models import Timer

Rma = Callable[..., Result]


def _request(url: str, token: str, body: dict[str, object] | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # a busy machine is slow, not wrong
        return json.loads(response.read())


def stop(*processes: subprocess.Popen[str]) -> None:
    """Stop every process, even when one is slow to go: none may outlive the test (a scheduler left
    running would fire the timers of the tests after it)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _alive(process: subprocess.Popen[str], log: IO[str]) -> None:
    if process.poll() is not None:
        log.seek(0)
        raise AssertionError(f"{process.args} exited with {process.returncode}:\n{log.read()}")


def _wait_for_health(port: int, process: subprocess.Popen[str], log: IO[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            _alive(process, log)
            assert time.monotonic() < deadline, "rma serve did not answer within 30 s"
            time.sleep(0.2)


def test_a_timer_made_by_a_web_only_process_is_fired_by_the_scheduler_process(
    rma: Rma, env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    """Real processes: a web server without a scheduler and a scheduler alone, sharing the database."""
    for args in (
        ("db", "upgrade"),
        ("deploy", str(DATA / "timers")),
        ("users", "add", "cs1", "--group", "customer_service"),
    ):
        assert rma(*args).exit_code == 0
    token = rma("tokens", "create", "cs1").stdout.strip()
    port = free_port()
    web_log = (tmp_path / "web.log").open("w+")
    scheduler_log = (tmp_path / "scheduler.log").open("w+")
    web = subprocess.Popen(
        [*RMA, "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    scheduler = subprocess.Popen(
        [*RMA, "scheduler", "--sweep-seconds", "0.5"],
        env=env,
        stdout=scheduler_log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_health(port, web, web_log)
        # far enough ahead that the start (on a busy machine) commits before the timer is due
        due = datetime.now(UTC) + timedelta(seconds=3)
        base = f"http://127.0.0.1:{port}/api/v1"
        started = _request(
            f"{base}/process-instances", token, {"process_key": "wait_date", "data": {"due": due.isoformat()}}
        )
        assert started["status"] == "running", "the start ran past the due time: raise the margin"
        deadline = time.monotonic() + 30
        while _request(f"{base}/process-instances/{started['id']}", token)["status"] != "completed":
            _alive(scheduler, scheduler_log)
            assert time.monotonic() < deadline, "the scheduler process did not fire the timer"
            time.sleep(0.2)
    finally:
        stop(web, scheduler)
        web_log.close()
        scheduler_log.close()
    with services.database.read() as session:
        (timer,) = session.scalars(select(Timer))
    assert timer.status == "fired"
    assert timer.claimed_by == f"{socket.gethostname()}:{scheduler.pid}"
