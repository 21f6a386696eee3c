"""The `rma` command against a real database, run in-process by click's runner; `serve` as a real process."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from support import AGENT, DIVIDE_FILE, LIFECYCLE, RMA, free_port

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import list_definitions
from rma_orchestrator.service.users import actor_for_token
from rma_orchestrator.store.staff_models import CalendarOverride, ConfirmedCalendarYear

ROOT = Path(__file__).parents[2]
Rma = Callable[..., Result]


def test_deploy_users_tokens(rma: Rma, services: Services) -> None:
    upgraded = rma("db", "upgrade")
    assert upgraded.exit_code == 0 and upgraded.stdout.startswith("database at revision ")
    first = rma("deploy", str(LIFECYCLE))
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == ["order_fix v1 (new version)", "order_review v1 (new version)"]
    again = rma("deploy", str(LIFECYCLE))
    assert again.stdout.splitlines() == ["order_fix v1 (unchanged)", "order_review v1 (unchanged)"]
    assert {(d.process_key, d.version) for d in list_definitions(services, AGENT)} == {
        ("order_fix", 1),
        ("order_review", 1),
    }
    added = rma("users", "add", "alice", "--group", "customer_service", "--group", "warehouse")
    assert added.exit_code == 0
    assert added.stdout == "user alice (staff) in customer_service, warehouse\n"
    token = rma("tokens", "create", "alice")
    assert token.exit_code == 0 and len(token.stdout.strip().splitlines()) == 1
    assert len(token.stdout.strip()) >= 32
    actor = actor_for_token(services, token.stdout.strip())
    assert (actor.name, actor.role, actor.groups) == ("alice", "staff", {"customer_service", "warehouse"})
    second = rma("tokens", "create", "alice")
    assert second.stdout != token.stdout and actor_for_token(services, second.stdout.strip()).name == "alice"


def test_errors_are_one_line_and_non_zero(rma: Rma) -> None:
    assert rma("db", "upgrade").exit_code == 0
    assert rma("users", "add", "bob").exit_code == 0
    duplicate = rma("users", "add", "bob")
    assert duplicate.exit_code == 1 and duplicate.stdout == ""
    assert duplicate.stderr.strip().count("\n") == 0 and "already exists" in duplicate.stderr
    unknown = rma("tokens", "create", "nobody")
    assert unknown.exit_code == 1 and unknown.stderr.strip() == "Error: no user named nobody"
    missing = rma("deploy", "/no/such/dir")
    assert missing.exit_code == 1 and missing.stdout == ""
    assert missing.stderr == "Error: /no/such/dir: no such file or directory\n"


def test_validate_prints_file_line_element_message(rma: Rma, tmp_path: Path) -> None:
    good = rma("validate", str(DIVIDE_FILE))
    assert good.exit_code == 0, good.output
    assert good.stdout == "ok\n" and good.stderr == ""
    bad = tmp_path / "bad.bpmn"
    text = DIVIDE_FILE.read_text()
    bad.write_text(text.replace("share = total / parts", "import os"))
    result = rma("validate", str(bad))
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    file_line, element, message = line.split(": ", 2)
    script_line = next(n for n, row in enumerate(text.splitlines(), 1) if "share = total / parts" in row)
    assert file_line == f"bad.bpmn:{script_line}" and element == "compute" and "import" in message


def test_validate_marks_warnings_and_names_each_rule(rma: Rma, tmp_path: Path) -> None:
    lint = ROOT / "tests" / "unit" / "data" / "lint"
    warned = rma("validate", str(lint / "lint_gateway_default.bpmn"), str(lint / "lint_review.json"))
    assert warned.exit_code == 0 and warned.stdout == "ok (1 warnings)\n"
    (line,) = warned.stderr.splitlines()
    assert line.startswith("warning: lint_gateway_default.bpmn:") and line.endswith(" [gateway-default]")
    assert ": decide: Exclusive gateway has no default flow" in line
    failed = rma("validate", str(lint / "lint_dead_end_flow.bpmn"), str(lint / "lint_review.json"))
    assert failed.exit_code == 1 and failed.stdout == ""
    (error,) = failed.stderr.splitlines()
    assert error.startswith("lint_dead_end_flow.bpmn:") and ": stuck: " in error
    assert error.endswith(" [dead-end-flow]")
    shipped = rma("validate", str(ROOT / "processes"), str(ROOT / "forms"))
    assert (shipped.exit_code, shipped.stdout, shipped.stderr) == (0, "ok\n", "")


def test_serve_answers_on_the_given_port(rma: Rma, env: dict[str, str]) -> None:
    """A real process: the WSGI server must bind the port and answer over HTTP."""
    assert rma("db", "upgrade").exit_code == 0
    port = free_port()
    server = subprocess.Popen(
        [*RMA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
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


def test_calendar_commands(rma: Rma, services: Services) -> None:
    assert rma("db", "upgrade").exit_code == 0
    result = rma("calendar", "set", "2027-02-06", "workday")
    assert result.exit_code == 0 and result.stdout == "2027-02-06 is a workday\n"
    confirmed = rma("calendar", "confirm", "2027")
    assert confirmed.exit_code == 0
    assert confirmed.stdout.splitlines() == [
        "2027 confirmed (1 overrides entered for it)",
        "the calendar is known until 2027-12-31",
    ]
    bad = rma("calendar", "set", "2027-02-30", "holiday")
    assert bad.exit_code == 1 and "not YYYY-MM-DD" in bad.stderr
    with services.database.read() as session:
        overrides = session.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()
        years = session.scalars(select(ConfirmedCalendarYear.year)).all()
    assert [tuple(row) for row in overrides] == [(date(2027, 2, 6), True)] and years == [2027]
    assert services.calendar.get().is_working_day(date(2027, 2, 6))  # a Saturday, made a working day


def test_test_processes_reports_each_scenario(rma: Rma) -> None:
    scenarios = LIFECYCLE / "scenarios"
    passing = rma("test-processes", str(scenarios), "--deploy", str(LIFECYCLE))
    assert passing.exit_code == 0, passing.output
    lines = passing.stdout.strip().splitlines()
    assert all(line.startswith("PASS ") for line in lines[:-1]) and len(lines) > 3
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"
    failing = rma("test-processes", str(LIFECYCLE / "scenarios_failing"), "--deploy", str(LIFECYCLE))
    assert failing.exit_code == 1
    assert failing.stdout.count("FAIL ") == 2 and failing.stdout.strip().endswith("0 passed, 2 failed")


def test_demo_prints_users_once_and_reset_starts_over(
    rma: Rma, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deploys processes/ and forms/ from the working directory, as `make run` has them."""
    monkeypatch.chdir(ROOT)
    controlled = {"RMA_CONTROLLED_CLOCK": "1"}
    first = rma("demo", "--no-serve", extra_env=controlled)
    assert first.exit_code == 0, first.output
    assert "13 demo cases added" in first.stdout and "admin_demo" in first.stdout
    token = first.stdout.strip().splitlines()[-1].removeprefix("API token of admin_demo: ")
    assert actor_for_token(services, token).role == "admin"
    again = rma("demo", "--no-serve", extra_env=controlled)
    assert again.exit_code == 0 and "demo data not added" in again.stdout
    assert "API token" not in again.stdout
    reset = rma("demo", "--reset", "--no-serve", extra_env=controlled)
    assert reset.exit_code == 0 and "13 demo cases added" in reset.stdout
