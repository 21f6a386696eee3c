"""Analysts' YAML scenarios: the lifecycle scenarios pass, mismatches and bad files are reported clearly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from support import ANALYST, DATA, LIFECYCLE

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.scenarios.files import InvalidScenario, load_scenarios
from rma_orchestrator.scenarios.runner import ScenarioResult, run_directory, run_scenario, throwaway_services
from rma_orchestrator.service.attachments import list_attachments
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, list_instances

SCENARIOS = LIFECYCLE / "scenarios"
FAILING = LIFECYCLE / "scenarios_failing"
CLOCKED = LIFECYCLE / "scenarios_clock"
TIMERS = DATA / "timers"
BEIJING = timezone(timedelta(hours=8))
START = "start: {order_no: SO-T, amount: 500, category: other}\n"


@pytest.fixture
def services_factory(db_url: str, tmp_path: Path) -> Callable[[], Services]:
    """Services on the test database (every scenario shares it), clock controlled."""
    settings = Settings.from_env({}, database_url=db_url, controlled_clock=True, data_dir=tmp_path)
    return lambda: bootstrap(settings)


def _by_name(results: list[ScenarioResult]) -> dict[str, ScenarioResult]:
    return {result.name: result for result in results}


def _write(directory: Path, text: str, name: str = "case.yaml") -> Path:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def _run_one(deployed: Services, directory: Path) -> ScenarioResult:
    (scenario,) = load_scenarios(directory)
    return run_scenario(deployed, scenario)


def test_the_lifecycle_scenarios_pass(services_factory: Callable[[], Services]) -> None:
    results = run_directory(services_factory, SCENARIOS, [LIFECYCLE])
    assert sorted(r.name for r in results) == [
        "auto path",
        "bad form data rejected",
        "early message kept",
        "manual review approved",
        "manual review rejected",
        "reminder at 2h then timeout at 24h",
    ]
    assert [(r.name, r.message) for r in results if not r.passed] == []
    assert all(r.steps_run >= 3 and r.file.startswith(str(SCENARIOS)) for r in results)


def test_the_failing_scenarios_report_the_first_mismatch(services_factory: Callable[[], Services]) -> None:
    results = _by_name(run_directory(services_factory, FAILING, [LIFECYCLE]))
    wrong = results["rejected order expected done"]
    assert (wrong.passed, wrong.steps_run) == (False, 1)
    assert wrong.message == (
        "step 2 (expect): outcome is end_rejected, expected end_done; data.approved is false, expected true;"
        " data.fixed is missing, expected true (status completed, outcome end_rejected)"
    )
    gone = results["completing a closed task"]
    assert (gone.passed, gone.steps_run) == (False, 2)
    assert gone.message == (
        "step 3 (complete review_order): no open task review_order; open tasks: []"
        " (status completed, outcome end_rejected)"
    )


def test_the_throwaway_factory_gives_each_scenario_a_fresh_database(tmp_path: Path) -> None:
    factory = throwaway_services(tmp_path, {})
    results = run_directory(factory, SCENARIOS, [LIFECYCLE])
    assert len(results) == 6 and all(r.passed for r in results)
    assert len(list(tmp_path.glob("scenario-*.sqlite3"))) == 6


def test_a_service_error_fails_the_step_unless_expected(deployed: Services, tmp_path: Path) -> None:
    steps = "steps:\n  - complete: review_order\n    data: {approved: maybe}\n"
    result = _run_one(deployed, _write(tmp_path / "a", f"name: a\nprocess: order_review\n{START}{steps}"))
    assert not result.passed and result.steps_run == 0
    assert result.message is not None
    assert result.message.startswith("step 1 (complete review_order): InvalidData: data does not match")
    assert "approved: 'maybe' is not of type 'boolean'" in result.message
    assert result.message.endswith("(status running, outcome null)")


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "  - complete: review_order\n    data: {approved: true}\n    expect_error: InvalidData\n",
            "step 1 (complete review_order): expected InvalidData, but the step succeeded",
        ),
        (
            "  - complete: review_order\n    data: {approved: 1}\n    expect_error: Conflict\n",
            "step 1 (complete review_order): expected Conflict, got InvalidData: data does not match",
        ),
        (
            "  - complete: review_order\n    data: {}\n"
            "    expect_error: {type: InvalidData, fields: [note]}\n",
            "step 1 (complete review_order): expected InvalidData on fields [note], got InvalidData",
        ),
        (
            "  - message: payment_received\n    delivered: true\n",
            "step 1 (message payment_received): the message was kept for later (nothing waited for it),"
            " expected delivered",
        ),
        (
            "  - clock: PT1H\n  - expect: {data: {fee: 51}}\n",
            "step 2 (expect): data.fee is 50.0, expected 51",
        ),
        ("  - expect: {data: {fee: true}}\n", "step 1 (expect): data.fee is 50.0, expected true"),
        ("  - expect: {events: [instance_completed]}\n", "step 1 (expect): events lack [instance_completed]"),
        ("  - retry: compute_fee\n", "step 1 (retry compute_fee): no open incident on compute_fee"),
        (
            "  - clock: {set: '2000-01-01T00:00:00Z'}\n",
            "step 1 (clock set 2000-01-01T00:00:00Z): InvalidData",
        ),
    ],
)
def test_step_failures_say_what_differs(deployed: Services, tmp_path: Path, step: str, message: str) -> None:
    text = f"name: probe\nprocess: order_review\n{START}steps:\n{step}"
    result = _run_one(deployed, _write(tmp_path / "probe", text))
    assert not result.passed
    assert result.message is not None and result.message.startswith(message), result.message


def test_a_scenario_needs_its_instance(deployed: Services, tmp_path: Path) -> None:
    text = "name: b\nprocess: order_review\nsteps:\n  - expect: {status: running}\n"
    result = _run_one(deployed, _write(tmp_path / "b", text))
    assert (
        result.message
        == "step 1 (expect): no instance yet: give start data (top-level 'start') or a start step first"
    )
    again = "  - start: {order_no: X, amount: 1, category: other}\n"
    twice = f"name: c\nprocess: order_review\n{START}steps:\n{again}"
    result = _run_one(deployed, _write(tmp_path / "c", twice))
    assert result.message is not None
    assert result.message.startswith("step 1 (start): this scenario already started RMA-")


def test_manager_steps_and_progress(deployed: Services, tmp_path: Path) -> None:
    steps = (
        "  - suspend\n  - expect: {status: suspended}\n  - complete: review_order\n"
        "    data: {approved: true}\n    expect_error: Conflict\n  - resume\n  - cancel\n"
        "  - expect: {status: cancelled, tasks: [], timers: []}\n"
    )
    directory = _write(tmp_path / "g", f"name: g\nprocess: order_review\n{START}steps:\n{steps}")
    heard: list[ScenarioResult] = []
    results = run_directory(lambda: deployed, directory, [LIFECYCLE], on_result=heard.append)
    assert heard == results and [(r.passed, r.message, r.steps_run) for r in results] == [(True, None, 6)]


def test_an_undeployed_process_fails_the_start(deployed: Services, tmp_path: Path) -> None:
    result = _run_one(deployed, _write(tmp_path / "d", "name: d\nprocess: nowhere\nstart: {}\n"))
    assert result.message == "start: NotFound: process 'nowhere' is not deployed"


def test_leftover_instances_are_cancelled(deployed: Services, tmp_path: Path) -> None:
    result = _run_one(deployed, _write(tmp_path / "e", f"name: e\nprocess: order_review\n{START}"))
    assert result.passed and result.steps_run == 0
    assert list_instances(deployed, ANALYST, status="running").total == 0
    assert list_instances(deployed, ANALYST, status="cancelled").total == 1


def test_yaml_values_stay_json(deployed: Services, tmp_path: Path) -> None:
    """Dates, yes/no and leading-zero numbers stay strings; true/false and JSON numbers do not."""
    text = (
        "name: f\nprocess: order_review\n"
        "start: {order_no: 0755, amount: 1e2, category: other, seen: 2026-11-20, ok: yes, yes_: True}\n"
        "steps:\n"
        "  - expect: {data: {order_no: '0755', amount: 100, seen: '2026-11-20', ok: 'yes', yes_: true}}\n"
    )
    result = _run_one(deployed, _write(tmp_path / "f", text))
    assert result.passed, result.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: x\nprocess: p\nsteps:\n  - complete: a\n    data: {approved: true\n", 6, "YAML syntax error"),
        ("name: x\nprocess: p\nsteps:\n  - expct: {status: running}\n", 4, "(did you mean 'expect'?)"),
        (
            "name: x\nprocess: p\nsteps:\n  - complete: a\n    dta: {}\n",
            5,
            "unknown key 'dta' in step 1 (complete) (did you mean 'data'?)",
        ),
        (
            "name: x\nprocess: p\nstart: {}\nstep: []\n",
            4,
            "unknown key 'step' in scenario (did you mean 'steps'?)",
        ),
        ("name: x\nprocess: p\nsteps:\n  - expect: {stats: running}\n", 4, "(did you mean 'status'?)"),
        ("name: x\nprocess: p\nsteps:\n  - clock: PT1H\n    clock: PT2H\n", 5, "duplicate key 'clock'"),
        ("name: x\nprocess: p\nsteps:\n  - complete: a\n    message: b\n", 4, "needs exactly one of"),
        ("name: x\nprocess: p\nsteps:\n  - cancel: true\n    expect_error: Confict\n", 5, "'Conflict'"),
        ("name: x\nsteps: []\n", 1, "give the scenario a process (text)"),
        ("name: x\nprocess: p\nsteps:\n  - expect: {tasks: review_order}\n", 4, "tasks takes a list"),
        ("- just a list\n", 1, "a scenario is a mapping"),
        (
            "name: x\nprocess: p\nsteps:\n  - expect: {status: running}\n  - 42\n",
            5,
            "step 2 must be a mapping",
        ),
        ("name: x\nprocess: p\nstart: {when: !!timestamp 2026-11-20}\n", 3, "is not a JSON value"),
        (
            "name: x\nprocess: p\nclock: 2025-09-30T10:00:00\nstart: {}\n",
            3,
            "clock 2025-09-30T10:00:00 has no UTC offset; give one, e.g. 2025-09-30T10:00:00+08:00",
        ),
        ("name: x\nprocess: p\nstart: {}\nclock: 2025-09-30\n", 4, "clock 2025-09-30 has no UTC offset"),
        ("name: x\nprocess: p\nclock: PT3H\n", 3, "move the clock later with a step: '- clock: PT3H'"),
        ("name: x\nprocess: p\nclock: {set: 2025-09-30T10:00:00Z}\n", 3, "is not a time"),
        ("name: x\nprocess: p\nclok: 2025-09-30T10:00:00Z\n", 3, "(did you mean 'clock'?)"),
    ],
)
def test_unreadable_files_name_the_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    _write(tmp_path, "name: fine\nprocess: order_review\nstart: {}\n", "a_fine.yaml")
    _write(tmp_path, text, "b_bad.yaml")
    with pytest.raises(InvalidScenario) as caught:
        load_scenarios(tmp_path)
    (item,) = caught.value.items
    assert item["file"] == str(tmp_path / "b_bad.yaml")
    assert item["line"] == line
    assert message in item["message"]
    assert str(caught.value).startswith(f"{tmp_path / 'b_bad.yaml'}:{line}: ")


def test_every_bad_file_is_reported_and_names_are_unique(tmp_path: Path) -> None:
    _write(tmp_path, "name: same\nprocess: p\n---\nname: same\nprocess: p\n", "one.yaml")
    _write(tmp_path, "name: [\n", "two.yml")
    with pytest.raises(InvalidScenario) as caught:
        load_scenarios(tmp_path)
    assert [(i["file"], i["line"]) for i in caught.value.items] == [
        (str(tmp_path / "one.yaml"), 4),
        (str(tmp_path / "two.yml"), 2),
    ]
    assert "name also used in" in caught.value.items[0]["message"]


def test_a_directory_without_scenarios_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenario, match="no scenario files"):
        load_scenarios(tmp_path)
    with pytest.raises(InvalidScenario, match="no such directory"):
        load_scenarios(tmp_path / "missing")


def test_a_start_clock_gives_absolute_dates_on_fresh_databases(tmp_path: Path) -> None:
    """The National Day scenarios pass whatever today is: each scenario's database starts at its clock."""
    scenarios = {s.name: s for s in load_scenarios(CLOCKED)}
    review = scenarios["review started on National Day eve"]
    assert review.clock == datetime(2025, 9, 30, 2, tzinfo=UTC)
    assert review.clock is not None and review.clock.utcoffset() == timedelta(hours=8)
    results = run_directory(throwaway_services(tmp_path, {}), CLOCKED, [LIFECYCLE, TIMERS])
    assert [(r.name, r.passed, r.message, r.steps_run) for r in results] == [
        ("review started on National Day eve", True, None, 8),
        ("one working day after National Day eve", True, None, 4),
    ]


def test_the_start_clock_dates_the_instance_and_its_timers(deployed: Services) -> None:
    (review,) = [s for s in load_scenarios(CLOCKED) if s.process == "order_review"]
    result = run_scenario(deployed, review)
    assert result.passed, result.message
    (instance,) = list_instances(deployed, ANALYST).items
    assert instance.business_key.startswith("RMA-20250930-")
    assert (instance.started_at, instance.outcome) == (datetime(2025, 9, 30, 2, tzinfo=UTC), "end_timed_out")
    events = list_events(deployed, instance.id, ANALYST).items
    assert [e.details["due_at"] for e in events if e.kind == "timer_fired"] == [
        "2025-09-30T04:00:00+00:00",
        "2025-10-01T02:00:00+00:00",
    ]


def test_a_shared_database_clock_moves_forward_only(
    services_factory: Callable[[], Services], deployed: Services, tmp_path: Path
) -> None:
    """Scenarios sharing a database: the first sets the clock back, the next may not, a later time may."""
    first, second = run_directory(services_factory, CLOCKED, [LIFECYCLE, TIMERS])
    assert first.passed and (second.passed, second.steps_run) == (False, 0)
    assert second.message == (
        "clock 2025-09-30T10:00:00+08:00: the controlled clock is already at 2025-10-01T02:00:00Z and never"
        " moves backwards, and this database already holds instances or messages (it is shared with other"
        " scenarios); run this scenario on a database of its own, in a separate run (`rma test-processes`"
        " gives each scenario a fresh one)"
    )
    _run_one(deployed, _write(tmp_path / "h", f"name: h\nprocess: order_review\n{START}"))
    later = (deployed.clock.now() + timedelta(days=3)).astimezone(BEIJING).replace(microsecond=0)
    steps = "steps:\n  - expect: {status: running, timers: [review_reminder, review_timeout]}\n"
    text = f"name: i\nprocess: order_review\nclock: {later.isoformat()}\n{START}{steps}"
    result = _run_one(deployed, _write(tmp_path / "i", text))
    assert result.passed, result.message
    started = list_instances(deployed, ANALYST, status="cancelled").items
    assert max(i.started_at for i in started) == later


# ---- attach: real uploads in scenarios --------------------------------------------------------------


@pytest.fixture
def claims(services: Services) -> Services:
    """The photo claim process: file fields of each kind in its start form and its task's form."""
    files = {p.name: p.read_bytes() for p in sorted((DATA / "attachments").iterdir())}
    deploy(services, files, ANALYST)
    return services


def test_attachments_staged_before_the_start_and_added_on_a_task_are_named_by_ref(
    claims: Services, tmp_path: Path
) -> None:
    text = (
        "name: uploads\nprocess: photo_claim\nsteps:\n"
        "  - attach: photo\n    ref: front\n"
        "  - attach: proof_of_purchase\n"
        "  - start: {order_no: SO-A, photos: [{attachment: front}],\n"
        "      purchase: {receipt: [{attachment: proof_of_purchase}]}}\n"
        "  - attach: evidence\n    ref: dent\n    task: inspect\n"
        "  - complete: inspect\n    data: {passed: true, evidence: [{attachment: dent}]}\n"
        "  - expect: {status: completed}\n"
    )
    result = _run_one(claims, _write(tmp_path / "u", text))
    assert result.passed, result.message
    (instance,) = list_instances(claims, ANALYST).items
    files = list_attachments(claims, ANALYST, instance.id)
    assert [(a.kind, a.filename, a.task_id is not None) for a in files] == [
        ("photo", "front.png", False),
        ("proof_of_purchase", "proof_of_purchase.png", False),
        ("evidence", "dent.png", True),
    ]
    data = get_instance(claims, instance.id, ANALYST).data
    assert data["photos"] == [files[0].id] and data["evidence"] == [files[2].id]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            "  - start: {order_no: SO-B, photos: [{attachment: nope}]}\n",
            "step 1 (start): UnknownAttachment: no attachment 'nope': attach it first"
            " (attachments so far: none yet)",
        ),
        ("  - attach: receipt\n", "step 1 (attach receipt): InvalidData: unknown kind"),
        (
            "  - attach: evidence\n  - start: {order_no: SO-C, photos: [{attachment: evidence}]}\n",
            "step 2 (start): InvalidData: an attachment is of another kind than its field",
        ),
        (
            "  - start: {order_no: SO-D}\n  - attach: photo\n    task: nowhere\n",
            "step 2 (attach photo): no open task nowhere to attach to",
        ),
    ],
)
def test_attach_failures_say_what_went_wrong(
    claims: Services, tmp_path: Path, steps: str, message: str
) -> None:
    result = _run_one(claims, _write(tmp_path / "f", f"name: f\nprocess: photo_claim\nsteps:\n{steps}"))
    assert not result.passed
    assert result.message is not None and result.message.startswith(message), result.message


def test_attach_takes_a_kind(tmp_path: Path) -> None:
    _write(tmp_path, "name: x\nprocess: p\nsteps:\n  - attach: [photo]\n")
    with pytest.raises(InvalidScenario, match="attach takes an attachment kind"):
        load_scenarios(tmp_path)
