"""Scenario files for analysts: reading and checking the YAML that ``rma test-processes`` runs.

A file holds one scenario, or several separated by ``---``::

    name: manual review approved          # required; unique in the directory
    process: order_review                 # required; the latest deployed version is started
    clock: 2025-09-30T10:00:00+08:00      # optional: the time the scenario starts at
    start: {order_no: SO-1, amount: 500, category: other}   # start data (or a `start` step)
    as: customer_service                  # who starts (optional)
    products:                             # optional: product records to seed before the start
      - {serial_no: AP300X0001, warranty_start_on: 2025-08-31, warranty_months: 12,
         repairs: [{started_on: 2025-11-02, ended_on: 2025-11-22, in_warranty: true, fixed: false}],
         exchanges: [{exchanged_on: 2026-01-05, new_serial_no: null}]}
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

The top-level ``clock`` is an ISO 8601 time with a UTC offset (``+08:00``, ``Z``): before anything
else the controlled clock is set to it, so that timers, working days and business keys count from
a fixed date (a 7-day window, the National Day holidays) rather than from today. A time without
an offset is refused. The controlled clock never moves backwards: an earlier time than the
database's clock is allowed only on a database of the scenario's own (``rma test-processes``
gives each scenario one); on a database shared with other scenarios it fails the scenario.
Top-level ``products`` seeds product records (by serial number) before the start (``product_seeds``).
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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .. import errors
from ..errors import InvalidDefinition, RmaError
from .product_seeds import SeedProblem, read_products
from .yaml_lines import LineLoader, LineMap

ROLES = ("staff", "manager", "analyst", "admin")
STEP_OPTIONS = {
    "start": {"as", "expect_error"},
    "complete": {"as", "data", "expect_error"},
    "message": {"as", "payload", "delivered", "idempotency_key", "expect_error"},
    "clock": {"expect_error"},
    "retry": {"as", "data", "expect_error"},
    "cancel": {"as", "expect_error"},
    "suspend": {"as", "expect_error"},
    "resume": {"as", "expect_error"},
    "attach": {"as", "ref", "task", "expect_error"},
    "expect": set(),
}
ACTIONS = tuple(STEP_OPTIONS)
SCENARIO_KEYS = ("name", "process", "clock", "products", "start", "as", "steps")
EXPECT_KEYS = ("status", "outcome", "tasks", "timers", "incidents", "data", "events", "elements")
ERROR_TYPES = {
    name: cls for name, cls in vars(errors).items() if isinstance(cls, type) and issubclass(cls, RmaError)
}
START_TIME_EXAMPLE = "2025-09-30T10:00:00+08:00"


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
        shown = f" {self.arg}" if self.action in ("complete", "message", "retry", "attach") else ""
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
    clock: datetime | None = None  # the start time (top-level ``clock``), with its UTC offset
    products: tuple[dict[str, Any], ...] = ()  # product records seeded before the start


def problem_item(
    path: Path | str, message: str, line: int | None = None, element: str | None = None
) -> dict[str, Any]:
    """One item of InvalidScenario or InvalidDefinition."""
    return {"file": str(path), "line": line, "element": element, "message": message}


# --- loading and checking ------------------------------------------------------------------------


class _Problem(Exception):
    """What is wrong with a scenario, at a line; the scenario's name is added by ``load_scenarios``."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def load_scenarios(directory: Path) -> list[Scenario]:
    """Every scenario of ``directory``, or InvalidScenario listing every unreadable one with its line."""
    if not directory.is_dir():
        raise InvalidScenario([problem_item(directory, "no such directory")])
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    if not files:
        raise InvalidScenario([problem_item(directory, "no scenario files (*.yaml, *.yml) here")])
    scenarios: list[Scenario] = []
    problems: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for path in files:
        for scenario in _read_file(path, problems):
            if scenario.name in names:
                message = f"name also used in {names[scenario.name]}"
                problems.append(problem_item(path, message, scenario.line, scenario.name))
            names[scenario.name] = str(path)
            scenarios.append(scenario)
    if problems:
        raise InvalidScenario(problems)
    return scenarios


def load_scenario_file(path: Path) -> list[Scenario]:
    """The scenarios of one file, or InvalidScenario (names are not compared with other files here)."""
    problems: list[dict[str, Any]] = []
    scenarios = _read_file(path, problems)
    if problems:
        raise InvalidScenario(problems)
    return scenarios


def _read_file(path: Path, problems: list[dict[str, Any]]) -> list[Scenario]:
    """The readable scenarios of ``path``; what is wrong with the others is added to ``problems``."""
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=LineLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        text = " ".join(str(part) for part in (error.context, error.problem) if part)
        problems.append(problem_item(path, f"YAML syntax error: {text}", mark.line + 1 if mark else None))
        return []
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(problem_item(path, f"not readable YAML: {error}"))
        return []
    scenarios: list[Scenario] = []
    for document in documents:
        if document is None:
            continue
        try:
            scenarios.append(_scenario(path, document))
        except _Problem as problem:
            named = document.get("name") if isinstance(document, dict) else None
            element = named if isinstance(named, str) else None
            problems.append(problem_item(path, problem.message, problem.line, element))
    return scenarios


def _scenario(path: Path, document: Any) -> Scenario:
    if not isinstance(document, LineMap):
        raise _Problem(1, "a scenario is a mapping with name, process and steps")
    _check_keys(document, SCENARIO_KEYS, "scenario")
    for key in ("name", "process"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise _Problem(document.lines.get(key, document.line), f"give the scenario a {key} (text)")
    clock = _start_time(document)
    try:
        seeds = (
            read_products(document["products"], document.lines["products"]) if "products" in document else ()
        )
    except SeedProblem as problem:
        raise _Problem(problem.line, problem.message) from None
    raw_steps = document.get("steps", [])
    if not isinstance(raw_steps, list):
        raise _Problem(document.lines["steps"], "steps must be a list")
    steps: list[Step] = []
    if "start" in document:
        start = LineMap(
            {key: document[key] for key in ("start", "as") if key in document}, document.lines["start"]
        )
        start.lines.update((key, document.lines[key]) for key in start)
        steps.append(_step(0, start.line, start))
    elif "as" in document:
        raise _Problem(document.lines["as"], "top-level 'as' names who starts; give 'start' too")
    lines = getattr(raw_steps, "lines", [])
    for number, raw in enumerate(raw_steps, 1):
        line = lines[number - 1] if number <= len(lines) else document.line
        if isinstance(raw, str) and raw in ("cancel", "suspend", "resume"):
            raw = LineMap({raw: True}, line)
        if not isinstance(raw, LineMap):
            raise _Problem(line, f"step {number} must be a mapping such as '- complete: review_order'")
        steps.append(_step(number, line, raw))
    return Scenario(
        str(path), document.line, document["name"], document["process"], tuple(steps), clock, seeds
    )


def _start_time(document: LineMap) -> datetime | None:
    """The top-level ``clock``: an ISO 8601 time that must carry its UTC offset."""
    if "clock" not in document:
        return None
    value, line = document["clock"], document.lines["clock"]
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Problem(
            line,
            f"clock {value!r} is not a time: the top-level clock is the start time, an ISO 8601 time with"
            f" a UTC offset such as {START_TIME_EXAMPLE} (move the clock later with a step: '- clock: PT3H')",
        )
    if parsed.tzinfo is None:
        raise _Problem(
            line, f"clock {value} has no UTC offset; give one, e.g. {START_TIME_EXAMPLE} (or Z for UTC)"
        )
    return parsed


def _step(number: int, line: int, raw: LineMap) -> Step:
    where = "start" if number == 0 else f"step {number}"
    actions = [key for key in raw if key in ACTIONS]
    if len(actions) != 1:
        found = ", ".join(actions) or "none"
        unknown = [key for key in raw if key not in ACTIONS]
        hint = _did_you_mean(unknown[0], ACTIONS) if unknown and not actions else ""
        raise _Problem(line, f"{where} needs exactly one of {', '.join(ACTIONS)} (found {found}){hint}")
    action = actions[0]
    _check_keys(raw, (action, *sorted(STEP_OPTIONS[action])), f"{where} ({action})")
    at = raw.lines.get(action, line)
    arg = _plain(raw[action], at)
    options = {key: _plain(value, raw.lines[key]) for key, value in raw.items() if key != action}
    if action in ("complete", "message", "retry") and (not isinstance(arg, str) or not arg):
        raise _Problem(at, f"{where}: {action} takes an element id or name (text)")
    if action == "attach" and not isinstance(arg, str):
        raise _Problem(
            at, f"{where}: attach takes an attachment kind (photo, proof_of_purchase, evidence, other)"
        )
    if (
        action == "attach"
        and "ref" in options
        and (not isinstance(options["ref"], str) or not options["ref"])
    ):
        raise _Problem(raw.lines["ref"], f"{where}: ref takes a name for the attachment (text)")
    if action == "start" and not isinstance(arg, dict):
        raise _Problem(at, f"{where}: start takes the start data (a mapping)")
    if action == "clock" and not (
        isinstance(arg, str)
        or (isinstance(arg, dict) and set(arg) == {"set"} and isinstance(arg["set"], str))
    ):
        raise _Problem(at, f"{where}: clock takes a duration (PT25H) or {{set: TIME}}")
    if action == "expect":
        _check_expect(raw[action], where, at)
    if "as" in options and (not isinstance(options["as"], str) or not options["as"]):
        raise _Problem(raw.lines["as"], f"{where}: 'as' takes a group or a role ({', '.join(ROLES)})")
    if "delivered" in options and not isinstance(options["delivered"], bool):
        raise _Problem(raw.lines["delivered"], f"{where}: delivered takes true or false")
    if "expect_error" in options:
        options["expect_error"] = _expected_error(raw["expect_error"], where, raw.lines["expect_error"])
    return Step(number, line, action, arg, options)


def _check_expect(raw: Any, where: str, line: int) -> None:
    if not isinstance(raw, LineMap) or not raw:
        raise _Problem(line, f"{where}: expect takes a mapping of {', '.join(EXPECT_KEYS)}")
    _check_keys(raw, EXPECT_KEYS, f"{where} (expect)")
    for key in ("tasks", "timers", "incidents", "events"):
        value = raw.get(key)
        if key in raw and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _Problem(raw.lines[key], f"{where}: {key} takes a list of ids, e.g. [review_order]")
    for key in ("data", "elements"):
        if key in raw and not isinstance(raw[key], dict):
            raise _Problem(raw.lines[key], f"{where}: {key} takes a mapping")


def _expected_error(raw: Any, where: str, line: int) -> ExpectedError:
    if isinstance(raw, str):
        raw = LineMap({"type": raw}, line)
    if not isinstance(raw, LineMap):
        raise _Problem(line, f"{where}: expect_error takes an error name or {{type, fields, message}}")
    _check_keys(raw, ("type", "fields", "message"), f"{where} (expect_error)")
    name = raw.get("type")
    if name not in ERROR_TYPES:
        raise _Problem(line, f"{where}: unknown error type {name!r}{_did_you_mean(str(name), ERROR_TYPES)}")
    fields = raw.get("fields")
    if fields is not None and not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        raise _Problem(line, f"{where}: expect_error fields takes a list of dotted paths")
    message = raw.get("message")
    return ExpectedError(
        name, tuple(fields) if fields is not None else None, str(message) if message else None
    )


def _check_keys(raw: LineMap, allowed: tuple[str, ...], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise _Problem(
                raw.lines[key],
                f"unknown key {key!r} in {where}{_did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}",
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
