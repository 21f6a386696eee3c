"""The `rma` command, run as a real subprocess against a real database."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

from support import DIVIDE_FILE, LIFECYCLE, RMA, free_port, rma


def test_deploy_users_tokens(env: dict[str, str]) -> None:
    assert rma(env, "db", "upgrade").returncode == 0
    first = rma(env, "deploy", str(LIFECYCLE))
    assert first.returncode == 0, first.stderr
    assert "order_review v1 (new version)" in first.stdout
    assert "order_review v1 (unchanged)" in rma(env, "deploy", str(LIFECYCLE)).stdout
    added = rma(env, "users", "add", "alice", "--group", "customer_service", "--group", "warehouse")
    assert added.returncode == 0 and "customer_service, warehouse" in added.stdout
    token = rma(env, "tokens", "create", "alice")
    assert token.returncode == 0 and len(token.stdout.strip().splitlines()) == 1
    assert len(token.stdout.strip()) >= 32
    assert rma(env, "tokens", "create", "alice").stdout != token.stdout


def test_errors_are_one_line_and_non_zero(env: dict[str, str]) -> None:
    rma(env, "db", "upgrade")
    rma(env, "users", "add", "bob")
    duplicate = rma(env, "users", "add", "bob")
    assert duplicate.returncode == 1 and duplicate.stderr.strip().count("\n") == 0
    assert "already exists" in duplicate.stderr
    unknown = rma(env, "tokens", "create", "nobody")
    assert unknown.returncode == 1 and "no user named nobody" in unknown.stderr
    missing = rma(env, "deploy", "/no/such/dir")
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_validate_prints_file_line_element_message(env: dict[str, str], tmp_path: Path) -> None:
    good = rma(env, "validate", str(DIVIDE_FILE))
    assert good.returncode == 0, good.stderr
    bad = tmp_path / "bad.bpmn"
    bad.write_text(DIVIDE_FILE.read_text().replace("share = total / parts", "import os"))
    result = rma(env, "validate", str(bad))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    file_line, element, message = line.split(": ", 2)
    assert file_line.startswith("bad.bpmn:") and element == "compute" and "import" in message


def test_serve_answers_on_the_given_port(env: dict[str, str]) -> None:
    rma(env, "db", "upgrade")
    port = free_port()
    server = subprocess.Popen(
        [*RMA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "rma serve did not answer within 30 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_calendar_commands(env: dict[str, str]) -> None:
    rma(env, "db", "upgrade")
    result = rma(env, "calendar", "set", "2027-02-06", "workday")
    assert result.returncode == 0 and "2027-02-06 is a workday" in result.stdout
    confirmed = rma(env, "calendar", "confirm", "2027")
    assert (
        confirmed.returncode == 0 and "1 overrides" in confirmed.stdout and "2027-12-31" in confirmed.stdout
    )
    bad = rma(env, "calendar", "set", "2027-02-30", "holiday")
    assert bad.returncode == 1 and "not YYYY-MM-DD" in bad.stderr


def test_test_processes_reports_each_scenario(env: dict[str, str]) -> None:
    scenarios = LIFECYCLE / "scenarios"
    passing = rma(env, "test-processes", str(scenarios), "--deploy", str(LIFECYCLE))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    lines = passing.stdout.strip().splitlines()
    assert all(line.startswith("PASS ") for line in lines[:-1]) and len(lines) > 3
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"
    failing = rma(env, "test-processes", str(LIFECYCLE / "scenarios_failing"), "--deploy", str(LIFECYCLE))
    assert failing.returncode == 1
    assert failing.stdout.count("FAIL ") == 2 and failing.stdout.strip().endswith("0 passed, 2 failed")


def test_demo_prints_users_once_and_reset_starts_over(env: dict[str, str]) -> None:
    """Needs processes/ and forms/ from the working directory, as `make run` has them."""
    env = {**env, "RMA_CONTROLLED_CLOCK": "1"}
    first = rma(env, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "12 demo cases added" in first.stdout and "admin_demo" in first.stdout
    again = rma(env, "demo", "--no-serve")
    assert again.returncode == 0 and "demo data not added" in again.stdout
    reset = rma(env, "demo", "--reset", "--no-serve")
    assert reset.returncode == 0 and "12 demo cases added" in reset.stdout
