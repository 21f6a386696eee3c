"""Scenario tests for analysts: YAML files that drive one process instance through the service layer.

``rma test-processes [DIR]`` runs every ``*.yaml`` / ``*.yml`` file of DIR (default
``processes/tests/``) against a throwaway database with a controlled clock. A file holds one
scenario, or several separated by ``---``::

    name: manual review approved          # required; unique in the directory
    process: order_review                 # required; the latest deployed version is started
    start: {order_no: SO-1, amount: 500, category: other}   # start data (or a `start` step)
    as: customer_service                  # who starts (optional)
    steps:                                # in order; the first failing step ends the scenario
      - expect: {status: running, tasks: [review_order], timers: [review_reminder, review_timeout]}
      - complete: review_order            # element id of an open task of this instance
        as: customer_service              # optional
        data: {approved: true}
      - message: payment_received         # correlated by the instance's business key
        payload: {ref: P-1}
        delivered: true                   # optional: true = the instance took it, false = kept
      - clock: PT25H                      # move the clock (ISO 8601 duration), firing what falls due
      - expect: {status: completed, outcome: end_done, data: {fixed: true, payment.ref: P-1}}

Steps, one action key each:
  ``start: DATA`` starts the instance (instead of the top-level ``start``, e.g. after a rejected
  start); ``complete: ELEMENT`` with ``data``; ``message: NAME`` with ``payload``, ``delivered``,
  ``idempotency_key``; ``clock: DURATION`` or ``clock: {set: TIME}`` (never backwards);
  ``retry: ELEMENT`` retries the open incident of the element, with ``data``; ``cancel``,
  ``suspend``, ``resume`` (write ``- cancel: true``); ``expect: {...}``.
Any action step may say ``expect_error: InvalidData`` (a class of ``rma_orchestrator.errors``;
subclasses match: ``Conflict`` matches ``TaskNotOpen``) or ``expect_error: {type: InvalidData,
fields: [amount], message: part of the text}``: it then passes only when it fails that way. Any
other error fails the scenario with its message.
Expect keys: ``status``; ``outcome`` (end event id, null while running); ``tasks`` and ``timers``
(element ids of open tasks and pending timers, order-insensitive, exact); ``incidents`` (element
ids of unresolved incidents, exact); ``data`` (dotted path -> value: ``payment.ref``,
``items.0.sku``); ``events`` (audit kinds that must appear; repeat one to require it N times);
``elements`` (``{element_id: state}``; ``called_process:element_id`` for a called process).
Actors (``as``): ``manager``, ``admin``, ``analyst``, ``staff`` are roles; any other value is a
group, worked by a staff user in it. Defaults: ``complete`` = staff of the task's group;
``start`` and ``message`` = staff; ``retry``/``cancel``/``suspend``/``resume`` = manager; the
clock = admin.
Expectations compare as JSON does (``500`` equals ``500.0``, ``true`` is not ``1``); an element never
reached has the state ``unreached``. An instance still running at the end is cancelled.
YAML is read with JSON scalars: numbers as JSON writes them, ``true``/``false``, ``null`` (or
``~``); every other plain scalar is a string (``2026-11-20``, ``yes``, ``0755`` stay strings).
Duplicate keys and unknown keys are errors naming the file and line.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import errors
from ..config import Settings
from ..errors import InvalidDefinition, RmaError
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
from .tasks import complete_task

USER = "scenario"
ROLES = ("staff", "manager", "analyst", "admin")
ACTIONS = ("start", "complete", "message", "clock", "retry", "cancel", "suspend", "resume", "expect")
STEP_OPTIONS = {
    "start": {"as", "expect_error"},
    "complete": {"as", "data", "expect_error"},
    "message": {"as", "payload", "delivered", "idempotency_key", "expect_error"},
    "clock": {"expect_error"},
    "retry": {"as", "data", "expect_error"},
    "cancel": {"as", "expect_error"},
    "suspend": {"as", "expect_error"},
    "resume": {"as", "expect_error"},
    "expect": set(),
}
SCENARIO_KEYS = ("name", "process", "start", "as", "steps")
EXPECT_KEYS = ("status", "outcome", "tasks", "timers", "incidents", "data", "events", "elements")
ERROR_TYPES = {
    name: cls for name, cls in vars(errors).items() if isinstance(cls, type) and issubclass(cls, RmaError)
}
DEPLOYABLE = (".bpmn", ".dmn", ".json")


class InvalidScenario(InvalidDefinition):
    """Scenario files that cannot be read; items are ``{file, line, element, message}``."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(items)
        first = items[0]
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        self.message = f"{first['file']}:{first['line'] or '-'}: {first['message']}{more}"
        self.args = (self.message,)


@dataclass(frozen=True)
class ExpectedError:
    type: str
    fields: tuple[str, ...] | None = None
    message: str | None = None


@dataclass(frozen=True)
class Step:
    """One action; ``number`` 0 is the top-level ``start``."""

    number: int
    line: int
    action: str
    arg: Any
    options: Mapping[str, Any]

    @property
    def label(self) -> str:
        if self.number == 0:
            return "start"
        shown = f" {self.arg}" if self.action in ("complete", "message", "retry") else ""
        if self.action == "clock":
            shown = f" {self.arg}" if isinstance(self.arg, str) else f" set {self.arg['set']}"
        return f"step {self.number} ({self.action}{shown})"


@dataclass(frozen=True)
class Scenario:
    file: str
    line: int
    name: str
    process: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    passed: bool
    message: str | None
    steps_run: int


# --- reading -------------------------------------------------------------------------------------


class _Map(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    def __init__(
        self, items: Mapping[str, Any] | None = None, line: int = 0, lines: dict[str, int] | None = None
    ) -> None:
        items = items or {}
        super().__init__(items)
        self.line = line
        self.lines = lines if lines is not None else dict.fromkeys(items, line)


class _Seq(list[Any]):
    """A list that remembers the line of each item."""

    def __init__(self, items: list[Any], lines: list[int]) -> None:
        super().__init__(items)
        self.lines = lines


class _Loader(yaml.SafeLoader):
    """SafeLoader with JSON scalars, line numbers and duplicate keys refused."""

    yaml_implicit_resolvers = {
        first: [
            (tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float", ":timestamp"))
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Map:  # type: ignore[override]
        self.flatten_mapping(node)
        mapping = _Map(line=node.start_mark.line + 1)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be strings, found {key!r}", key_node.start_mark
                )
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$"),
    list("-0123456789"),
)
_Loader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node))
_Loader.add_constructor(
    "tag:yaml.org,2002:seq",
    lambda loader, node: _Seq(
        [loader.construct_object(child, deep=True) for child in node.value],
        [child.start_mark.line + 1 for child in node.value],
    ),
)


class _Problem(Exception):
    def __init__(self, line: int | None, message: str, element: str | None = None) -> None:
        super().__init__(message)
        self.line, self.message, self.element = line, message, element


def load_scenarios(directory: Path) -> list[Scenario]:
    """Every scenario of ``directory``, or InvalidScenario listing every unreadable one with its line."""
    if not directory.is_dir():
        raise InvalidScenario([_item(directory, None, None, "no such directory")])
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    if not files:
        raise InvalidScenario([_item(directory, None, None, "no scenario files (*.yaml, *.yml) here")])
    scenarios: list[Scenario] = []
    problems: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for path in files:
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            text = " ".join(str(part) for part in (error.context, error.problem) if part)
            problems.append(_item(path, mark.line + 1 if mark else None, None, f"YAML syntax error: {text}"))
            continue
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(_item(path, None, None, f"not readable YAML: {error}"))
            continue
        for document in documents:
            if document is None:
                continue
            try:
                scenario = _scenario(path, document)
            except _Problem as problem:
                named = document.get("name") if isinstance(document, dict) else None
                element = problem.element or (named if isinstance(named, str) else None)
                problems.append(_item(path, problem.line, element, problem.message))
                continue
            if scenario.name in names:
                problems.append(
                    _item(path, scenario.line, scenario.name, f"name also used in {names[scenario.name]}")
                )
            names[scenario.name] = str(path)
            scenarios.append(scenario)
    if problems:
        raise InvalidScenario(problems)
    return scenarios


def _item(path: Path | str, line: int | None, element: str | None, message: str) -> dict[str, Any]:
    return {"file": str(path), "line": line, "element": element, "message": message}


def _scenario(path: Path, document: Any) -> Scenario:
    if not isinstance(document, _Map):
        raise _Problem(1, "a scenario is a mapping with name, process and steps")
    _check_keys(document, SCENARIO_KEYS, "scenario", None)
    for key in ("name", "process"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise _Problem(document.lines.get(key, document.line), f"give the scenario a {key} (text)")
    name = document["name"]
    raw_steps = document.get("steps", [])
    if not isinstance(raw_steps, list):
        raise _Problem(document.lines["steps"], "steps must be a list", name)
    steps: list[Step] = []
    if "start" in document:
        start = {key: document[key] for key in ("start", "as") if key in document}
        lines = {key: document.lines[key] for key in start}
        steps.append(_step(0, document.lines["start"], _Map(start, document.lines["start"], lines), name))
    elif "as" in document:
        raise _Problem(document.lines["as"], "top-level 'as' names who starts; give 'start' too", name)
    lines = getattr(raw_steps, "lines", [])
    for number, raw in enumerate(raw_steps, 1):
        line = lines[number - 1] if number <= len(lines) else document.line
        if isinstance(raw, str) and raw in ("cancel", "suspend", "resume"):
            raw = _Map({raw: True}, line)
        if not isinstance(raw, _Map):
            raise _Problem(line, f"step {number} must be a mapping such as '- complete: review_order'", name)
        steps.append(_step(number, line, raw, name))
    return Scenario(str(path), document.line, name, document["process"], tuple(steps))


def _step(number: int, line: int, raw: _Map, scenario: str) -> Step:
    where = "start" if number == 0 else f"step {number}"
    actions = [key for key in raw if key in ACTIONS]
    if len(actions) != 1:
        found = ", ".join(actions) or "none"
        unknown = [key for key in raw if key not in ACTIONS]
        hint = _did_you_mean(unknown[0], ACTIONS) if unknown and not actions else ""
        raise _Problem(
            line, f"{where} needs exactly one of {', '.join(ACTIONS)} (found {found}){hint}", scenario
        )
    action = actions[0]
    _check_keys(raw, (action, *sorted(STEP_OPTIONS[action])), f"{where} ({action})", scenario)
    at = raw.lines.get(action, line)
    arg = _plain(raw[action], at)
    options = {key: _plain(value, raw.lines[key]) for key, value in raw.items() if key != action}
    if action in ("complete", "message", "retry") and (not isinstance(arg, str) or not arg):
        raise _Problem(at, f"{where}: {action} takes an element id or name (text)", scenario)
    if action == "start" and not isinstance(arg, dict):
        raise _Problem(at, f"{where}: start takes the start data (a mapping)", scenario)
    if action == "clock" and not (
        isinstance(arg, str)
        or (isinstance(arg, dict) and set(arg) == {"set"} and isinstance(arg["set"], str))
    ):
        raise _Problem(at, f"{where}: clock takes a duration (PT25H) or {{set: TIME}}", scenario)
    if action == "expect":
        _check_expect(raw[action], where, scenario, at)
    if "as" in options and (not isinstance(options["as"], str) or not options["as"]):
        raise _Problem(
            raw.lines["as"], f"{where}: 'as' takes a group or a role ({', '.join(ROLES)})", scenario
        )
    if "delivered" in options and not isinstance(options["delivered"], bool):
        raise _Problem(raw.lines["delivered"], f"{where}: delivered takes true or false", scenario)
    if "expect_error" in options:
        options["expect_error"] = _expected_error(
            raw["expect_error"], where, scenario, raw.lines["expect_error"]
        )
    return Step(number, line, action, arg, options)


def _check_expect(raw: Any, where: str, scenario: str, line: int) -> None:
    if not isinstance(raw, _Map) or not raw:
        raise _Problem(line, f"{where}: expect takes a mapping of {', '.join(EXPECT_KEYS)}", scenario)
    _check_keys(raw, EXPECT_KEYS, f"{where} (expect)", scenario)
    for key in ("tasks", "timers", "incidents", "events"):
        value = raw.get(key)
        if key in raw and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _Problem(
                raw.lines[key], f"{where}: {key} takes a list of ids, e.g. [review_order]", scenario
            )
    for key in ("data", "elements"):
        if key in raw and not isinstance(raw[key], dict):
            raise _Problem(raw.lines[key], f"{where}: {key} takes a mapping", scenario)


def _expected_error(raw: Any, where: str, scenario: str, line: int) -> ExpectedError:
    if isinstance(raw, str):
        raw = _Map({"type": raw}, line)
    if not isinstance(raw, _Map):
        raise _Problem(
            line, f"{where}: expect_error takes an error name or {{type, fields, message}}", scenario
        )
    _check_keys(raw, ("type", "fields", "message"), f"{where} (expect_error)", scenario, line)
    name = raw.get("type")
    if name not in ERROR_TYPES:
        hint = _did_you_mean(str(name), ERROR_TYPES)
        raise _Problem(line, f"{where}: unknown error type {name!r}{hint}", scenario)
    fields = raw.get("fields")
    if fields is not None and not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        raise _Problem(line, f"{where}: expect_error fields takes a list of dotted paths", scenario)
    message = raw.get("message")
    return ExpectedError(
        name, tuple(fields) if fields is not None else None, str(message) if message else None
    )


def _check_keys(raw: _Map, allowed: tuple[str, ...], where: str, scenario: str | None, line: int = 0) -> None:
    for key in raw:
        if key not in allowed:
            hint = _did_you_mean(key, allowed)
            raise _Problem(
                raw.lines.get(key, line),
                f"unknown key {key!r} in {where}{hint}; allowed: {', '.join(allowed)}",
                scenario,
            )


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _plain(value: Any, line: int) -> Any:
    """Plain JSON values: the loader's line-aware mappings stay out of process data."""
    if isinstance(value, dict):
        return {key: _plain(item, line) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, line) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _Problem(line, f"{value!r} is not a JSON value; quote it or drop the YAML tag")


# --- running -------------------------------------------------------------------------------------


def run_scenario(services: Services, scenario: Scenario) -> ScenarioResult:
    """Drive a fresh instance through the steps; the first mismatch fails the scenario.

    An instance left running is cancelled at the end, so that later clock moves on a shared
    database do not fire its timers.
    """
    run = _Run(services, scenario)
    passed = 0
    try:
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
            raise InvalidDefinition([_item(directory, None, None, "no such directory to deploy")])
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix in DEPLOYABLE:
                if path.name in files:
                    raise InvalidDefinition(
                        [_item(path, None, None, "two files of this name; file names must be unique")]
                    )
                files[path.name] = path.read_bytes()
    if not files:
        shown = ", ".join(str(d) for d in directories) or "(no directory given)"
        raise InvalidDefinition([_item(shown, None, None, "no .bpmn, .dmn or .json files to deploy")])
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
        try:
            problem = getattr(self, f"_{step.action}")(step)
        except RmaError as error:
            if expected is None:
                return f"{_describe(error)}{self._context()}"
            return _error_mismatch(expected, error)
        except Exception as error:  # a database or engine failure is this scenario's failure too
            return f"unexpected {type(error).__name__}: {error}{self._context()}"
        if problem is None and expected is not None:
            return f"expected {expected.type}, but the step succeeded{self._context()}"
        return problem

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
        admin = Actor(USER, "admin")
        if isinstance(step.arg, str):
            move_clock(self.services, admin, add=step.arg)
        else:
            move_clock(self.services, admin, set_to=step.arg["set"])

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
            kinds = [e["kind"] for e in list_events(self.services, self._id, self._reader)["items"]]
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
                cancel_instance(self.services, self._id, Actor(USER, "admin"))
        except RmaError:
            pass  # best effort: the scenario's result stands

    @property
    def _id(self) -> int:
        assert self.instance_id is not None
        return self.instance_id

    @property
    def _reader(self) -> Actor:
        return Actor(USER, "manager")

    def _instance(self) -> dict[str, Any]:
        return get_instance(self.services, self._id, self._reader)

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
