"""Sandbox escape and denial attempts, end to end: each is refused at deploy or fails at its element.

Every attempt puts hostile analyst code where it would really run (a script task, a gateway
condition, a timer expression, a DMN input expression, input entry or output entry), deploys it
and starts a case. An *escape* tries to reach outside the sandbox (modules, frames, builtins,
files); a *denial* tries to stall or break the service (C-level work, endless loops, data the
database cannot take). Each one is either refused at deploy with a message at the element, or
the case goes to ``error`` with one incident at the element, keeping the data it had, and no
canary file appears. While a denial runs, another case starts and completes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hostile_processes as hp
import pytest
from limited import LIMIT, limited_services, meanwhile, only_incident
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.errors import InvalidDefinition
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceInfo

START_DATA = {"x": 5, "items": [3, 1, 2]}  # something for hostile code to get hold of
DEPLOY = "deploy"
INCIDENT = "incident"


@dataclass(frozen=True)
class Attempt:
    place: str  # a key of PLACES
    kind: str  # "escape" or "denial"
    name: str
    refused: str  # DEPLOY or INCIDENT
    says: str  # part of the refusal's message ("a|b": either part)
    code: str  # "{canary}" stands for a file path that must never be created

    @property
    def id(self) -> str:
        return f"{self.place}-{self.kind}-{self.name}"


@dataclass(frozen=True)
class Place:
    family: str  # script, condition, timer or dmn
    at_deploy: str  # the element a deploy error names
    at_run: str  # the element the incident names


PLACES = {
    "script": Place("script", "work", "work"),
    "condition": Place("condition", "f2", "choose"),
    "timer": Place("timer", "wait", "wait"),  # a timeDuration
    "timer_date": Place("timer", "wait", "wait"),
    "timer_cycle": Place("timer", "wait", "wait"),
    "dmn_input": Place("dmn", "in1", "decide"),  # the input expression, tested with ``> 0``
    "dmn_entry": Place("dmn", "r1", "decide"),  # an input entry of the input ``x``
    "dmn_output": Place("dmn", "r1", "decide"),
}

UNDERSCORE = 'because it starts with "_"'
NOT_OFFERED = "which sandboxed scripts do not offer"
TIME_LIMIT = f"limit of {LIMIT:g} s"
# Sorting ten million strings needs about 1 GB as well as seconds: which hard limit stops it
# first depends on the machine, and either is the point.
HARD_LIMIT = f"{TIME_LIMIT}|the limit is 1024 MB per step"
NOT_DATA = "which is not data"
FORMAT = "str.format() and str.format_map() are not allowed"
BIG_INT = "integers larger than 100,000 bits are not allowed"

ATTEMPTS = [
    # ---- scripts: escapes ------------------------------------------------------------------------
    Attempt("script", "escape", "import_os", DEPLOY, "import statements are not allowed",
            'import os\nos.system("touch {canary}")'),
    Attempt("script", "escape", "dunder_import", DEPLOY, UNDERSCORE,
            '__import__("os").system("touch {canary}")'),
    Attempt("script", "escape", "subclasses_walk", DEPLOY, UNDERSCORE,
            'w = [c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == "_wrap_close"][0]\n'
            'w.__init__.__globals__["system"]("touch {canary}")'),
    Attempt("script", "escape", "getattr_globals", DEPLOY, f"calls getattr(), {NOT_OFFERED}",
            'f = getattr(len, "__globals__")'),
    Attempt("script", "escape", "getattr_alias", INCIDENT, "getattr() is not available",
            'g = getattr\nf = g(len, "__self__")'),
    Attempt("script", "escape", "format_attribute_walk", INCIDENT, FORMAT,
            'y = "{0.__class__.__mro__[1].__subclasses__}".format(x)'),
    Attempt("script", "escape", "format_map_walk", INCIDENT, FORMAT,
            'y = str.format_map("{a.__class__}", {"a": x})'),
    Attempt("script", "escape", "generator_frame", DEPLOY, '"f_globals" is a restricted name',
            "g = (i for i in items)\nf = g.gi_frame.f_back.f_globals"),
    Attempt("script", "escape", "traceback_frame", DEPLOY, UNDERSCORE,
            "try:\n    y = 1 / 0\nexcept ZeroDivisionError as err:\n    y = err.__traceback__.tb_frame"),
    Attempt("script", "escape", "with_traceback", INCIDENT, "with_traceback' is not available",
            "try:\n    y = 1 / 0\nexcept ZeroDivisionError as err:\n    y = err.with_traceback(None)"),
    Attempt("script", "escape", "type_alias", INCIDENT, "type() is not available", "t = type\ny = t(x)"),
    Attempt("script", "escape", "vars_builtins", INCIDENT, "KeyError",
            'o = vars()["__builtins__"]["open"]\no("{canary}", "w")'),
    Attempt("script", "escape", "write_builtins", DEPLOY, UNDERSCORE, '__builtins__["len"] = open'),
    Attempt("script", "escape", "exec_call", DEPLOY, "Exec calls are not allowed", 'exec("import os")'),
    Attempt("script", "escape", "compile_alias", INCIDENT, "compile() is not available",
            'c = compile\ny = c("import os", "f", "exec")'),
    Attempt("script", "escape", "open_alias", INCIDENT, "open() is not available",
            'o = open\no("{canary}", "w").write("x")'),
    Attempt("script", "escape", "breakpoint", DEPLOY, '"breakpoint" is a reserved name', "breakpoint()"),
    Attempt("script", "escape", "help_alias", INCIDENT, "help() is not available", "h = help\nh(x)"),
    Attempt("script", "escape", "decorator_globals", DEPLOY, UNDERSCORE,
            "def grab(f):\n    return f.__globals__\n@grab\ndef g():\n    pass"),
    Attempt("script", "escape", "lambda_attribute", INCIDENT, "'function.func_globals' is not available",
            "f = lambda: 0\ny = f.func_globals"),
    Attempt("script", "escape", "operator_attrgetter", INCIDENT, "name 'operator' is not defined",
            'y = operator.attrgetter("__class__")(x)'),
    Attempt("script", "escape", "print_chevron", INCIDENT, "unsupported operand", "y = print >> x"),
    Attempt("script", "escape", "function_into_data", INCIDENT, "left values that are not data",
            'y = {"sort": sorted}'),
    Attempt("script", "escape", "import_from_c_code", INCIDENT, "__import__",
            'y = datetime.strptime("2026", "%Y")'),  # C code imports through the script's builtins
    Attempt("script", "escape", "decimal_context", INCIDENT, "name 'getcontext' is not defined",
            "getcontext().prec = 10**9"),
    Attempt("script", "escape", "system_exit", DEPLOY, f"calls SystemExit(), {NOT_OFFERED}",
            "raise SystemExit(0)"),
    # ---- scripts: denials ------------------------------------------------------------------------
    Attempt("script", "denial", "sort_by_str", INCIDENT, HARD_LIMIT,
            "y = sorted(list(range(10**6)) * 10, key=str)"),
    Attempt("script", "denial", "huge_str", INCIDENT, "limit", 'y = len(str(["x" * 10**7] * 200))'),
    Attempt("script", "denial", "power_tower", INCIDENT, BIG_INT, "y = 10 ** 10 ** 10"),
    Attempt("script", "denial", "huge_shift", INCIDENT, BIG_INT, "y = 1 << 10**9"),
    Attempt("script", "denial", "huge_repeat", INCIDENT, "repeating a sequence beyond", 'y = "x" * 10**10'),
    Attempt("script", "denial", "int_of_a_million_digits", INCIDENT, "Exceeds the limit (4300 digits)",
            'y = int("9" * 10**6)'),
    Attempt("script", "denial", "shared_references", INCIDENT, "larger than the limit of 1 MB",
            "y = [[[0] * 1000] * 1000] * 1000"),
    Attempt("script", "denial", "while_true", INCIDENT, "script stopped after running longer than",
            "while True:\n    pass"),
    Attempt("script", "denial", "lambda_in_c_callback", INCIDENT, "script stopped after running longer than",
            "y = max(range(10**6), key=lambda i: sum(range(10**6)))"),
    Attempt("script", "denial", "recursion", INCIDENT, "RecursionError",
            "def f(n):\n    return f(n + 1)\ny = f(0)"),
    Attempt("script", "denial", "giant_range", INCIDENT, "range() with more than",
            "for i in range(10**12):\n    pass"),
    Attempt("script", "denial", "decimal_format", INCIDENT, "limit",
            "y = f\"{Decimal('1e2000000000'):f}\""),
    Attempt("script", "denial", "decimal_remainder", INCIDENT, "DivisionImpossible",
            "y = Decimal('1e2000000000') % 3"),
    Attempt("script", "denial", "decimal_round", INCIDENT, "round() of a Decimal with more than",
            "y = round(Decimal('1e2000000000'))"),
    Attempt("script", "denial", "percent_width", INCIDENT, "%-formatting wider than",
            'y = "%0999999999d" % 1'),
    Attempt("script", "denial", "percent_star_width", INCIDENT, "'*' widths", 'y = "%*d" % (10**9, 1)'),
    Attempt("script", "denial", "strftime_pattern", INCIDENT, "strftime patterns longer than",
            'y = datetime(2026, 1, 1).strftime("%Y" * 10**4)'),
    Attempt("script", "denial", "join_blowup", INCIDENT, "str.join() producing more than",
            'y = "-".join(["x"] * 10**7)'),
    Attempt("script", "denial", "regex_backtracking", INCIDENT, "name 're' is not defined",
            'y = re.match("(a+)+$", "a" * 40 + "b")'),
    # data the database cannot take: each made the command fail outside any element
    Attempt("script", "denial", "deep_nesting", INCIDENT, "nested deeper than 100 levels",
            "a = []\nfor i in range(5000):\n    a = [a]"),
    Attempt("script", "denial", "list_holding_itself", INCIDENT, "nested deeper than 100 levels",
            "a = []\na.append(a)"),
    Attempt("script", "denial", "unstorable_value", INCIDENT, "holds a timezone, which cannot be stored",
            "y = timezone.utc"),
    Attempt("script", "denial", "tuple_key", INCIDENT, "has a tuple as a key", 'y = {(1, 2): "k"}'),
    Attempt("script", "denial", "int_without_decimal_text", INCIDENT, "integer of more than 4,300 digits",
            "y = 10 ** 5000"),
    Attempt("script", "denial", "decimal_of_5_million_digits", INCIDENT, "larger than the limit of 1 MB",
            "y = Decimal('1' * 5_000_000)"),
    Attempt("script", "denial", "nul_in_data", INCIDENT, "must not contain NUL", 'y = "a\\x00b"'),
    Attempt("script", "denial", "nul_in_error", INCIDENT, "x\\x00y", 'raise ValueError("x\\x00y")'),
    Attempt("script", "denial", "surrogate_in_error", INCIDENT, "x\\ud800y", 'raise ValueError("x\\ud800y")'),
    Attempt("script", "denial", "huge_error", INCIDENT, "more characters)", 'raise ValueError("x" * 10**7)'),
    # ---- gateway conditions ----------------------------------------------------------------------
    Attempt("condition", "escape", "dunder_import", DEPLOY, UNDERSCORE,
            '__import__("os").system("touch {canary}") == 0'),
    Attempt("condition", "escape", "subclasses_walk", DEPLOY, UNDERSCORE,
            "().__class__.__bases__[0].__subclasses__() != []"),
    Attempt("condition", "escape", "format_attribute_walk", INCIDENT, FORMAT,
            '"{0.__class__}".format(x) == ""'),
    Attempt("condition", "escape", "open_call", DEPLOY, f"calls open(), {NOT_OFFERED}",
            'open("{canary}", "w") is None'),
    Attempt("condition", "escape", "open_from_a_list", INCIDENT, "open() is not available",
            '[o for o in [open]][0]("{canary}", "w") is None'),
    Attempt("condition", "escape", "getattr_through_lambda", INCIDENT, "getattr() is not available",
            '(lambda g: g)(getattr)(x, "__class__") is None'),
    Attempt("condition", "escape", "vars_builtins", INCIDENT, "KeyError", 'vars()["__builtins__"] is None'),
    Attempt("condition", "escape", "function_value", INCIDENT, NOT_DATA, "len"),
    Attempt("condition", "escape", "eval_call", DEPLOY, "Eval calls are not allowed", 'eval("1") == 1'),
    Attempt("condition", "denial", "sort_by_str", INCIDENT, HARD_LIMIT,
            "len(sorted(list(range(10**6)) * 10, key=str)) > 0"),
    Attempt("condition", "denial", "power_tower", INCIDENT, BIG_INT, "10 ** 10 ** 10 > 0"),
    Attempt("condition", "denial", "huge_repeat", INCIDENT, "repeating a sequence beyond",
            'len("x" * 10**10) > 0'),
    Attempt("condition", "denial", "nested_generators", INCIDENT, "script stopped after running longer than",
            "any(False for i in range(10**6) for j in range(10**6))"),
    Attempt("condition", "denial", "int_of_a_million_digits", INCIDENT, "Exceeds the limit (4300 digits)",
            'int("9" * 10**6) > 0'),
    # ---- timer expressions -----------------------------------------------------------------------
    Attempt("timer", "escape", "dunder_import", DEPLOY, UNDERSCORE,
            '__import__("os").system("touch {canary}")'),
    Attempt("timer", "escape", "class_into_text", DEPLOY, UNDERSCORE, '"PT" + str(().__class__) + "S"'),
    Attempt("timer", "escape", "format_attribute_walk", INCIDENT, FORMAT, '"PT{0.__class__}S".format(x)'),
    Attempt("timer", "escape", "open_call", DEPLOY, f"calls open(), {NOT_OFFERED}",
            'open("{canary}", "w").name'),
    Attempt("timer", "escape", "vars_builtins", INCIDENT, "KeyError",
            '"PT" + str(vars()["__builtins__"]) + "S"'),
    Attempt("timer", "escape", "function_value", INCIDENT, NOT_DATA, "len"),
    Attempt("timer", "denial", "sort_by_str", INCIDENT, HARD_LIMIT,
            '"PT" + str(len(sorted(list(range(10**6)) * 10, key=str))) + "S"'),
    Attempt("timer", "denial", "power_tower", INCIDENT, BIG_INT, '"PT" + str(10 ** 10 ** 10) + "S"'),
    Attempt("timer", "denial", "percent_width", INCIDENT, "%-formatting wider than", '"P%0999999999dD" % 1'),
    Attempt("timer", "denial", "far_future", INCIDENT, "longer than the limit of 3653 days",
            '"P" + str(40) + "Y"'),
    # values the engine's timer code failed on without naming the timer
    Attempt("timer", "denial", "million_digit_duration", INCIDENT, "which is not an ISO 8601 duration",
            '"P" + "9" * 10**6 + "D"'),
    Attempt("timer", "denial", "overflowing_seconds", INCIDENT, "which is not an ISO 8601 duration",
            '"PT" + "1" * 4000 + "S"'),
    Attempt("timer_date", "denial", "datetime_value", INCIDENT, "got a datetime from its expression",
            "datetime(2030, 1, 1, tzinfo=timezone.utc)"),
    # a cycle with no interval fired without end inside one step, on every sweep
    Attempt("timer_cycle", "denial", "endless_cycle", INCIDENT, "no time between its cycles",
            '"R" + "999999999/PT0S"'),
    Attempt("timer_cycle", "denial", "endless_cycle_literal", DEPLOY, "no time between its cycles",
            '"R999999999/PT0S"'),
    # ---- DMN cells -------------------------------------------------------------------------------
    Attempt("dmn_input", "escape", "dunder_import", DEPLOY, UNDERSCORE,
            '__import__("os").system("touch {canary}")'),
    Attempt("dmn_input", "escape", "dunder_attribute", DEPLOY, UNDERSCORE, "x.__class__.__mro__"),
    Attempt("dmn_input", "escape", "format_attribute_walk", INCIDENT, FORMAT,
            'len("{0.__class__}".format(x))'),
    Attempt("dmn_entry", "escape", "format_attribute_walk", INCIDENT, FORMAT,
            '? == "{0.__class__}".format(x)'),
    Attempt("dmn_entry", "escape", "open_call", DEPLOY, f"calls open(), {NOT_OFFERED}",
            'open("{canary}", "w") is not None'),
    Attempt("dmn_entry", "escape", "vars_builtins", INCIDENT, "KeyError", '? in vars()["__builtins__"]'),
    Attempt("dmn_output", "escape", "function_value", INCIDENT, NOT_DATA, "[len]"),
    Attempt("dmn_output", "escape", "getattr_call", DEPLOY, f"calls getattr(), {NOT_OFFERED}",
            'getattr(x, "__class__")'),
    Attempt("dmn_output", "escape", "open_through_lambda", INCIDENT, "open() is not available",
            '(lambda f: f)(open)("{canary}", "w")'),
    Attempt("dmn_input", "denial", "sort_by_str", INCIDENT, HARD_LIMIT,
            "len(sorted(list(range(10**6)) * 10, key=str))"),
    Attempt("dmn_input", "denial", "int_of_a_million_digits", INCIDENT, "Exceeds the limit (4300 digits)",
            'int("9" * 10**6)'),
    Attempt("dmn_entry", "denial", "power_tower", INCIDENT, BIG_INT, "? > 10 ** 10 ** 10"),
    # outputs used to skip the task-data checks scripts meet
    Attempt("dmn_output", "denial", "ten_megabytes", INCIDENT, "larger than the limit of 1 MB",
            '"x" * 10**7'),
    Attempt("dmn_output", "denial", "shared_references", INCIDENT, "larger than the limit of 1 MB",
            "[[0] * 10**4] * 10**4"),
    Attempt("dmn_output", "denial", "deep_nesting", INCIDENT, "nested deeper than 100 levels",
            "(lambda f: f(f, 300))(lambda f, n: [f(f, n - 1)] if n else [])"),
    Attempt("dmn_output", "denial", "tuple_key", INCIDENT, "has a tuple as a key", '{(1, 2): "k"}'),
    Attempt("dmn_output", "denial", "unstorable_value", INCIDENT, "cannot be stored", "timezone.utc"),
]  # fmt: skip
ON_POSTGRESQL = (
    "script-denial-nul_in_error",
    "script-denial-surrogate_in_error",
    "dmn_input-denial-sort_by_str",
)


def _files(pid: str, place: str, code: str) -> dict[str, bytes]:
    match place:
        case "script":
            return hp.script_at_start(pid, code)
        case "condition":
            return hp.condition(pid, code)
        case "timer":
            return hp.timer(pid, code)
        case "timer_date":
            return hp.timer(pid, code, "timeDate")
        case "timer_cycle":
            return hp.timer(pid, code, "timeCycle")
        case "dmn_input":
            return hp.decision(pid, code, "> 0")
        case "dmn_entry":
            return hp.decision(pid, "x", code)
        case "dmn_output":
            return hp.decision(pid, "x", "-", code)
    raise ValueError(f"unknown place {place!r}")


@pytest.fixture
def sandboxed(sqlite_url: str, tmp_path: Path) -> Iterator[Services]:
    services = limited_services(sqlite_url, tmp_path)
    yield services
    services.database.dispose()


def _run(services: Services, attempt: Attempt, tmp_path: Path) -> None:
    """Deploy ``attempt`` and start a case of it; check it was refused where it sits, and nothing escaped."""
    canary = tmp_path / "canary"
    place = PLACES[attempt.place]
    files = _files("hostile", attempt.place, attempt.code.replace("{canary}", str(canary)))
    if attempt.refused == DEPLOY:
        with pytest.raises(InvalidDefinition) as refused:
            deploy(services, files, ANALYST)
        found = [(item["element"], item["message"]) for item in refused.value.items]
        assert any(element == place.at_deploy and _says(attempt, message) for element, message in found), (
            found
        )
    else:
        deploy(services, files, ANALYST)
        if attempt.kind == "denial":
            started, seconds = meanwhile(
                services, lambda: start_instance(services, "hostile", START_DATA, AGENT)
            )
            assert seconds < LIMIT + 15  # only fails if no limit stopped it
        else:
            started = start_instance(services, "hostile", START_DATA, AGENT)
        assert isinstance(started, InstanceInfo), started
        assert started.status == "error"
        element, message = only_incident(services, started)
        assert element == place.at_run and _says(attempt, message), message
        assert len(message) < 3_000
        # The case keeps the data it had before the hostile element: nothing the code made survived.
        assert get_instance(services, started.id, ADMIN).data == START_DATA
    assert not canary.exists()


def _says(attempt: Attempt, message: str) -> bool:
    return any(part in message for part in attempt.says.split("|"))


def test_the_table_holds_at_least_40_attempts_over_all_four_places_and_both_kinds() -> None:
    assert len(ATTEMPTS) >= 40
    assert len({attempt.id for attempt in ATTEMPTS}) == len(ATTEMPTS)
    by_family = Counter(PLACES[attempt.place].family for attempt in ATTEMPTS)
    assert set(by_family) == {"script", "condition", "timer", "dmn"}
    assert min(by_family.values()) >= 6, by_family
    by_kind = Counter((PLACES[attempt.place].family, attempt.kind) for attempt in ATTEMPTS)
    assert len(by_kind) == 8, by_kind  # escapes and denials in each place
    assert {attempt.refused for attempt in ATTEMPTS} == {DEPLOY, INCIDENT}
    assert set(ON_POSTGRESQL) <= {attempt.id for attempt in ATTEMPTS}


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[attempt.id for attempt in ATTEMPTS])
def test_an_attempt_is_refused_at_deploy_or_fails_at_its_element(
    sandboxed: Services, tmp_path: Path, attempt: Attempt
) -> None:
    _run(sandboxed, attempt, tmp_path)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "attempt", [a for a in ATTEMPTS if a.id in ON_POSTGRESQL], ids=lambda attempt: attempt.id
)
def test_on_postgresql_too_an_attempt_fails_at_its_element(
    db_url: str, tmp_path: Path, attempt: Attempt
) -> None:
    services = limited_services(db_url, tmp_path)
    try:
        _run(services, attempt, tmp_path)
    finally:
        services.database.dispose()
