"""Running analysts' YAML scenarios (``rma test-processes``) through the service layer.

The file format is described in ``scenario_files``, which reads and checks it. Each scenario
drives one process instance: its steps call the same services as the API does, as the actors
they name, and the first step that fails (or whose expectation differs) ends it with a message
naming the step and what differs.

``run_directory`` deploys the process files and runs each scenario on services from a factory;
``throwaway_services`` builds each on a fresh SQLite file with a controlled clock. A scenario's
top-level ``clock`` is applied before anything else. On a database that holds no instance or
message yet (a throwaway one) the controlled clock is simply set to it, earlier or later; on one
that does (scenarios sharing a database) it may only move forward, firing what falls due as a
``clock`` step does, and an earlier time fails the scenario with a message to run it on a
database of its own.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..clock import iso, utc
from ..config import Settings
from ..errors import InvalidDefinition, RmaError
from ..store.models import MessageInbox, ProcessInstance
from ..store.settings import save_controlled_time
from .clock import move_clock
from .context import Actor, Services
from .definitions import deploy
from .incidents import retry_incident
from .instances import (
    cancel_instance,
    get_instance,
    list_events,
    resume_instance,
    start_instance,
    suspend_instance,
)
from .messages import deliver_message
from .scenario_files import (
    ACTIONS,
    ERROR_TYPES,
    EXPECT_KEYS,
    ROLES,
    SCENARIO_KEYS,
    STEP_OPTIONS,
    ExpectedError,
    InvalidScenario,
    Scenario,
    Step,
    load_scenarios,
    problem_item,
)
from .tasks import complete_task

__all__ = [
    "ACTIONS",
    "DEPLOYABLE",
    "ERROR_TYPES",
    "EXPECT_KEYS",
    "ROLES",
    "SCENARIO_KEYS",
    "STEP_OPTIONS",
    "USER",
    "ExpectedError",
    "InvalidScenario",
    "Scenario",
    "ScenarioResult",
    "Step",
    "load_scenarios",
    "run_directory",
    "run_scenario",
    "throwaway_services",
]

USER = "scenario"
DEPLOYABLE = (".bpmn", ".dmn", ".json")
ADMIN = Actor(USER, "admin")
READER = Actor(USER, "manager")


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    passed: bool
    message: str | None
    steps_run: int


def run_scenario(services: Services, scenario: Scenario) -> ScenarioResult:
    """Set the start clock, then drive a fresh instance through the steps; the first mismatch fails.

    An instance left running is cancelled at the end, so that later clock moves on a shared
    database do not fire its timers.
    """
    run = _Run(services, scenario)
    passed = 0
    try:
        if scenario.clock is not None:
            problem = run.attempt(run.start_clock, None)
            if problem is not None:
                message = f"clock {scenario.clock.isoformat()}: {problem}"
                return ScenarioResult(scenario.file, scenario.name, False, message, 0)
        for step in scenario.steps:
            problem = run.step(step)
            if problem is not None:
                return ScenarioResult(scenario.file, scenario.name, False, f"{step.label}: {problem}", passed)
            passed += step.number > 0
        return ScenarioResult(scenario.file, scenario.name, True, None, passed)
    finally:
        run.cancel_leftover()


def run_directory(
    services_factory: Callable[[], Services],
    directory: Path,
    deploy_dirs: list[Path],
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run every scenario of ``directory``, each on services from the factory with ``deploy_dirs`` deployed.

    Unreadable scenario files (InvalidScenario) and undeployable processes (InvalidDefinition)
    raise before any scenario runs; ``on_result`` hears each result as it comes (progress).
    """
    scenarios = load_scenarios(directory)
    files = _deployable_files(deploy_dirs)
    results = []
    for scenario in scenarios:
        services = services_factory()
        try:
            deploy(services, files, Actor(USER, "analyst"))
            results.append(run_scenario(services, scenario))
            if on_result is not None:
                on_result(results[-1])
        finally:
            services.database.dispose()
    return results


def throwaway_services(workdir: Path, environ: Mapping[str, str] | None = None) -> Callable[[], Services]:
    """A factory of services, each on a new migrated SQLite file under ``workdir``, clock controlled."""
    from ..bootstrap import bootstrap
    from .schema import upgrade_database

    def settings(path: Path) -> Settings:
        return Settings.from_env(
            dict(environ) if environ is not None else None,
            database_url=f"sqlite:///{path.resolve()}",
            controlled_clock=True,
            data_dir=workdir,
        )

    template = workdir / "template.sqlite3"
    upgrade_database(settings(template))
    numbers = itertools.count(1)

    def build() -> Services:
        path = workdir / f"scenario-{next(numbers)}.sqlite3"
        shutil.copyfile(template, path)
        return bootstrap(settings(path))

    return build


def _deployable_files(directories: list[Path]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InvalidDefinition([problem_item(directory, "no such directory to deploy")])
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix in DEPLOYABLE:
                if path.name in files:
                    raise InvalidDefinition(
                        [problem_item(path, "two files of this name; file names must be unique")]
                    )
                files[path.name] = path.read_bytes()
    if not files:
        shown = ", ".join(str(d) for d in directories) or "(no directory given)"
        raise InvalidDefinition([problem_item(shown, "no .bpmn, .dmn or .json files to deploy")])
    return files


class _Run:
    """One scenario's instance and the service calls its steps make."""

    def __init__(self, services: Services, scenario: Scenario) -> None:
        self.services, self.scenario = services, scenario
        self.instance_id: int | None = None
        self.business_key = ""

    def step(self, step: Step) -> str | None:
        """None when the step passed, else what went wrong."""
        if step.action == "start" and self.instance_id is not None:
            return f"this scenario already started {self.business_key}; a scenario drives one instance"
        if step.action != "start" and self.instance_id is None:
            return "no instance yet: give start data (top-level 'start') or a start step first"
        expected: ExpectedError | None = step.options.get("expect_error")
        return self.attempt(lambda: getattr(self, f"_{step.action}")(step), expected)

    def attempt(self, action: Callable[[], str | None], expected: ExpectedError | None) -> str | None:
        """Run ``action``: None when it passed (or failed as expected), else what went wrong."""
        try:
            problem = action()
        except RmaError as error:
            if expected is None:
                return f"{_describe(error)}{self._context()}"
            return _error_mismatch(expected, error)
        except Exception as error:  # a database or engine failure is this scenario's failure too
            return f"unexpected {type(error).__name__}: {error}{self._context()}"
        if problem is None and expected is not None:
            return f"expected {expected.type}, but the step succeeded{self._context()}"
        return problem

    def start_clock(self) -> str | None:
        """Set the controlled clock to the scenario's start time, before the instance starts."""
        start = self.scenario.clock
        assert start is not None
        if not self.services.clock.controlled:
            return "the clock is not controlled here (set RMA_CONTROLLED_CLOCK=1)"
        if self._database_is_fresh():  # nothing counts from the clock yet: any time will do
            with self.services.uow() as uow:
                save_controlled_time(uow.session, utc(start))
                uow.commit()
            return None
        current = self.services.clock.now()
        if start < current:
            return (
                f"the controlled clock is already at {iso(current)} and never moves backwards, and this"
                " database already holds instances or messages (it is shared with other scenarios);"
                " run this scenario on a database of its own, in a separate run (`rma test-processes`"
                " gives each scenario a fresh one)"
            )
        move_clock(self.services, ADMIN, set_to=start.isoformat())  # fires what falls due
        return None

    def _database_is_fresh(self) -> bool:
        with self.services.database.read() as session:
            return all(
                session.scalar(select(model.id).limit(1)) is None for model in (ProcessInstance, MessageInbox)
            )

    def _start(self, step: Step) -> str | None:
        actor = self._actor(step, Actor(USER, "staff"))
        started = start_instance(self.services, self.scenario.process, step.arg, actor)
        self.instance_id, self.business_key = started["id"], started["business_key"]
        return None

    def _complete(self, step: Step) -> str | None:
        tasks = self._instance()["tasks"]
        task = next((t for t in tasks if t["element_id"] == step.arg), None)
        if task is None:
            shown = _ids(t["element_id"] for t in tasks)
            return f"no open task {step.arg}; open tasks: {shown}{self._context()}"
        actor = self._actor(step, Actor(USER, "staff", frozenset({task["group"]} if task["group"] else ())))
        complete_task(self.services, task["id"], step.options.get("data", {}), actor)
        return None

    def _message(self, step: Step) -> str | None:
        actor = self._actor(step, Actor(USER, "staff"))
        result = deliver_message(
            self.services,
            step.arg,
            self.business_key,
            step.options.get("payload", {}),
            actor,
            idempotency_key=step.options.get("idempotency_key"),
        )
        wanted = step.options.get("delivered")
        if wanted is not None and result["delivered"] != wanted:
            got = "delivered" if result["delivered"] else "kept for later (nothing waited for it)"
            return f"the message was {got}, expected {'delivered' if wanted else 'kept'}{self._context()}"
        return None

    def _clock(self, step: Step) -> None:
        if isinstance(step.arg, str):
            move_clock(self.services, ADMIN, add=step.arg)
        else:
            move_clock(self.services, ADMIN, set_to=step.arg["set"])

    def _retry(self, step: Step) -> str | None:
        incidents = [i for i in self._instance()["incidents"] if i["resolved_at"] is None]
        incident = next((i for i in incidents if i["element_id"] == step.arg), None)
        if incident is None:
            shown = _ids(i["element_id"] for i in incidents)
            return f"no open incident on {step.arg}; open incidents: {shown}{self._context()}"
        retry_incident(self.services, incident["id"], self._manager(step), step.options.get("data"))
        return None

    def _cancel(self, step: Step) -> None:
        cancel_instance(self.services, self._id, self._manager(step))

    def _suspend(self, step: Step) -> None:
        suspend_instance(self.services, self._id, self._manager(step))

    def _resume(self, step: Step) -> None:
        resume_instance(self.services, self._id, self._manager(step))

    def _expect(self, step: Step) -> str | None:
        expected: dict[str, Any] = step.arg
        instance = self._instance()
        mismatches = []
        for key in ("status", "outcome"):
            if key in expected and instance[key] != expected[key]:
                mismatches.append(f"{key} is {_show(instance[key])}, expected {_show(expected[key])}")
        actual_lists = {
            "tasks": [t["element_id"] for t in instance["tasks"]],
            "timers": [t["element_id"] for t in instance["timers"]],
            "incidents": [i["element_id"] for i in instance["incidents"] if i["resolved_at"] is None],
        }
        for key, actual in actual_lists.items():
            if key in expected and sorted(actual) != sorted(expected[key]):
                mismatches.append(f"{key} are {_ids(actual)}, expected {_ids(expected[key])}")
        for path, value in expected.get("data", {}).items():
            found, actual_value = _lookup(instance["data"], path)
            if not found:
                mismatches.append(f"data.{path} is missing, expected {_show(value)}")
            elif not _same(actual_value, value):
                mismatches.append(f"data.{path} is {_show(actual_value)}, expected {_show(value)}")
        if "events" in expected:
            kinds = [e["kind"] for e in list_events(self.services, self._id, READER)["items"]]
            missing = Counter(expected["events"]) - Counter(kinds)
            if missing:
                mismatches.append(f"events lack {_ids(missing.elements())}; events: {_ids(kinds)}")
        for element, state in expected.get("elements", {}).items():
            process, _, element_id = element.rpartition(":")
            states = instance["element_states"].get(process or instance["process_key"], {})
            actual_state = states.get(element_id, {}).get("state", "unreached")
            if actual_state != state:
                mismatches.append(f"element {element} is {actual_state}, expected {state}")
        if mismatches:
            return "; ".join(mismatches) + self._context(instance)
        return None

    def cancel_leftover(self) -> None:
        if self.instance_id is None:
            return
        try:
            if self._instance()["status"] in ("running", "error", "suspended"):
                cancel_instance(self.services, self._id, ADMIN)
        except RmaError:
            pass  # best effort: the scenario's result stands

    @property
    def _id(self) -> int:
        assert self.instance_id is not None
        return self.instance_id

    def _instance(self) -> dict[str, Any]:
        return get_instance(self.services, self._id, READER)

    def _context(self, instance: dict[str, Any] | None = None) -> str:
        if self.instance_id is None:
            return ""
        try:
            instance = instance or self._instance()
        except RmaError:
            return ""
        shown = f" (status {instance['status']}, outcome {_show(instance['outcome'])}"
        incidents = [i for i in instance["incidents"] if i["resolved_at"] is None]
        if incidents:
            shown += "; incidents: " + "; ".join(f"{i['element_id']}: {i['message']}" for i in incidents)
        return shown + ")"

    def _actor(self, step: Step, default: Actor) -> Actor:
        name = step.options.get("as")
        if name is None:
            return default
        if name in ROLES:
            return Actor(USER, name)
        return Actor(USER, "staff", frozenset({name}))

    def _manager(self, step: Step) -> Actor:
        return self._actor(step, Actor(USER, "manager"))


def _error_mismatch(expected: ExpectedError, error: RmaError) -> str | None:
    if not isinstance(error, ERROR_TYPES[expected.type]):
        return f"expected {expected.type}, got {_describe(error)}"
    if expected.fields is not None:
        fields = sorted({str(item.get("field")) for item in error.items if item.get("field") is not None})
        if sorted(set(expected.fields)) != fields:
            return f"expected {expected.type} on fields {_ids(expected.fields)}, got {_describe(error)}"
    if expected.message is not None and expected.message not in _describe(error):
        return f"expected {expected.type} mentioning {expected.message!r}, got {_describe(error)}"
    return None


def _describe(error: RmaError) -> str:
    details = "; ".join(
        f"{item['field']}: {item['message']}" if item.get("field") else str(item.get("message"))
        for item in error.items
        if item.get("message") != error.message
    )
    return f"{type(error).__name__}: {error.message}" + (f" ({details})" if details else "")


def _lookup(data: Any, path: str) -> tuple[bool, Any]:
    """``(found, value)`` at a dotted path; list items by index (``items.0.sku``)."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _same(actual: Any, expected: Any) -> bool:
    """Equality as JSON sees it: 500 == 500.0, but true is not 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            _same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value


def _ids(values: Any) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"
