"""A web-only `rma serve --no-scheduler` and a separate `rma scheduler` share one database."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support import DATA, RMA, free_port, rma


def _request(url: str, token: str, body: dict[str, object] | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_for_health(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_a_timer_made_by_a_web_only_process_is_fired_by_the_scheduler_process(
    env: dict[str, str], tmp_path: Path
) -> None:
    rma(env, "db", "upgrade")
    assert rma(env, "deploy", str(DATA / "timers")).returncode == 0
    rma(env, "users", "add", "cs1", "--group", "customer_service")
    token = rma(env, "tokens", "create", "cs1").stdout.strip()
    port = free_port()
    web = subprocess.Popen(
        [*RMA, "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scheduler = subprocess.Popen(
        [*RMA, "scheduler", "--sweep-seconds", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_health(port, web)
        due = datetime.now(UTC) + timedelta(seconds=1)
        base = f"http://127.0.0.1:{port}/api/v1"
        started = _request(
            f"{base}/process-instances", token, {"process_key": "wait_date", "data": {"due": due.isoformat()}}
        )
        assert started["status"] == "running"
        deadline = time.monotonic() + 20
        while _request(f"{base}/process-instances/{started['id']}", token)["status"] != "completed":
            assert scheduler.poll() is None, scheduler.stderr.read() if scheduler.stderr else ""
            assert time.monotonic() < deadline, "the scheduler process did not fire the timer"
            time.sleep(0.2)
    finally:
        for process in (web, scheduler):
            process.terminate()
            process.wait(timeout=10)
