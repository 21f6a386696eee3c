"""The RestrictedPython sandbox: what it blocks, what it allows, and how it runs inside SpiffWorkflow."""

from __future__ import annotations

import sys
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from rma_orchestrator.engine import sandbox_compiler
from rma_orchestrator.engine.sandbox import SandboxEnvironment, make_script_engine
from rma_orchestrator.engine.sandbox_compiler import compile_check
from rma_orchestrator.engine.sandbox_guards import SandboxError, ScriptTimeout
from rma_orchestrator.engine.script_library import VETTED_FUNCTIONS, bounded_range, round_money


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(time_limit=1.0)


def _data() -> dict[str, Any]:
    return {"x": 5, "d": {"k": 1}, "items": [3, 1, 2]}


# ---- compilation ----------------------------------------------------------------------------------


def test_compiled_code_is_cached_per_source_and_mode(env: SandboxEnvironment) -> None:
    source = "x > 5  # cache probe"
    env.evaluate(source, {"x": 1})
    before = sandbox_compiler._compile_cached.cache_info()
    for _ in range(50):
        env.evaluate(source, {"x": 1})
    after = sandbox_compiler._compile_cached.cache_info()
    assert after.hits - before.hits == 50
    assert after.misses == before.misses
    cached = sandbox_compiler._compile_cached
    assert cached(source, "eval")[0] is cached(source, "eval")[0]
    assert cached(source, "eval") is not cached(source, "exec")


def test_compile_check_reports_one_line_with_line_number() -> None:
    assert compile_check("x = 1\ny = x + 1") is None
    assert compile_check("x > 5", "eval") is None
    assert compile_check("\n   x > 5\n", "eval") is None  # eval() tolerates surrounding whitespace too
    problem = compile_check("x = 1\nimport os")
    assert problem is not None and problem.startswith("line 2:") and "\n" not in problem
    syntax = compile_check("x = (\n")
    assert syntax is not None and "line 1" in syntax and "\n" not in syntax
    assert compile_check("x = ", "eval") is not None
    with pytest.raises(ValueError):
        compile_check("x", "single")


# ---- blocked code ---------------------------------------------------------------------------------

COMPILE_TIME_BLOCKED = [
    "import os",
    "from os import path",
    "y = __import__('os')",
    "y = eval('1')",
    "exec('y = 1')",
    "y = ().__class__.__base__.__subclasses__()",
    "y = x.__class__",
    "y = (lambda: 1).__globals__",
    "g = (i for i in [1])\ny = g.gi_frame",
    "g = (i for i in [1])\ny = g.gi_code",
    "g = (i for i in [1])\ny = g.gi_yieldfrom",
    "def f():\n    yield 1",
    "class A:\n    pass",
    "y = f_globals.f_back",
    "y = tb.tb_frame",
    "y = c.cr_frame",
    "y = a.ag_frame",
    "y = frame.f_builtins",
    "y = frame.f_locals",
]


@pytest.mark.parametrize("source", COMPILE_TIME_BLOCKED)
def test_blocked_at_compile_time(env: SandboxEnvironment, source: str) -> None:
    assert compile_check(source) is not None
    with pytest.raises(SandboxError):
        env.execute(source, _data())


RUN_TIME_BLOCKED = [
    "y = open('/etc/passwd')",
    "y = getattr(x, '__globals__')",
    "y = '{0.__class__}'.format(x)",
    "y = '{k}'.format_map(d)",
    "y = str.format('{0.__class__}', x)",
    "y = type(x)",
    "y = vars(x)",
    "y = globals(d)",
    "y = locals(items)",
    "y = dir()",
    "y = compile('1', 'f', 'eval')",
    "setattr(d, 'k', 2)",
    "delattr(d, 'k')",
    "y = iter(items)",
    "y = bytes(10)",
    "y = 'abc'.encode()",
    "y = x.to_bytes(4, 'big')",
    "g = (i for i in items)\ny = g.gi_running",
    "g = (i for i in items)\ny = g.gi_suspended",
    "g = (i for i in items)\ng.close()",
    "f = lambda: 1\ny = f.call",
    "y = datetime.now()",
    "y = date.today()",
    "y = Decimal('1.5').as_integer_ratio()",
    "x.real = 2",
    "raise SystemExit(1)",
]


@pytest.mark.parametrize("source", RUN_TIME_BLOCKED)
def test_blocked_at_run_time(env: SandboxEnvironment, source: str) -> None:
    assert compile_check(source) is None
    with pytest.raises(SandboxError):
        env.execute(source, _data())


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    y = open('/etc/passwd')\nexcept:\n    y = 'caught'",
        "try:\n    y = type(x)\nexcept Exception:\n    y = 'caught'",
        "for i in range(3):\n    try:\n        y = 10 ** 10 ** 8\n    finally:\n        continue",
    ],
)
def test_sandbox_errors_cannot_be_caught(env: SandboxEnvironment, source: str) -> None:
    with pytest.raises(SandboxError):
        env.execute(source, _data())


def test_ordinary_exceptions_can_be_caught(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {"raw": "12x"}
    env.execute("try:\n    n = int(raw)\nexcept ValueError:\n    n = 0\nfinally:\n    done = True", context)
    assert context == {"raw": "12x", "n": 0, "done": True}


# ---- time limit -----------------------------------------------------------------------------------


def test_endless_loop_stops_after_time_limit() -> None:
    env = SandboxEnvironment(time_limit=1.0)
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute("while True: pass", {})
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2


@pytest.mark.parametrize(
    "source",
    [
        "while True:\n    pass",
        "n = 0\nwhile True:\n    n = n + 1",
        "while True:\n    try:\n        while True: pass\n    except:\n        pass",
        "while True:\n    try:\n        while True: pass\n    finally:\n        continue",
        "def f(n):\n    try:\n        f(n + 1)\n    except:\n        f(n + 1)\nf(0)",
        "y = [i * j for i in range(10 ** 6) for j in range(10 ** 6)]",
        "y = sorted(range(10 ** 6), key=lambda v: [w for w in range(10 ** 6)])",
    ],
)
def test_loops_cannot_escape_the_time_limit(source: str) -> None:
    env = SandboxEnvironment(time_limit=0.3)
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(source, {})
    assert time.monotonic() - started < 2


def test_endless_expression_times_out(env: SandboxEnvironment) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.evaluate("any(i < 0 for i in range(10 ** 6) for j in range(10 ** 6))", {})
    assert time.monotonic() - started < 2


def test_time_limit_works_in_other_threads_and_restores_tracing() -> None:
    env = SandboxEnvironment(time_limit=0.3)
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            env.execute("while True: pass", {})
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ScriptTimeout)

    def tracer(frame: Any, event: str, arg: Any) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        assert env.evaluate("x + 1", {"x": 1}) == 2
        with pytest.raises(ScriptTimeout):
            env.execute("while True: pass", {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


@pytest.mark.parametrize("source", ["while True: pass", "y = 10 ** 10 ** 8", "y = 'x' * 10 ** 10"])
def test_service_keeps_answering_while_a_script_runs(source: str) -> None:
    env = SandboxEnvironment(time_limit=1.0)
    outcome: list[BaseException] = []
    started = threading.Event()

    def worker() -> None:
        started.set()
        try:
            env.execute(source, {})
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=worker, daemon=True)
    begin = time.monotonic()
    thread.start()
    started.wait(1)
    time.sleep(0.05)
    work_started = time.monotonic()
    total = 0
    for i in range(1000):
        total += len({"i": i, "s": str(i)}) + sum([i, 1, 2])
    work_time = time.monotonic() - work_started
    thread.join(3)
    assert not thread.is_alive()
    assert time.monotonic() - begin < 2.5
    assert work_time < 0.5
    assert total > 0
    assert len(outcome) == 1 and isinstance(outcome[0], SandboxError)


# ---- C-level work refused up front ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "y = 10 ** 10 ** 8",
        "y = 'x' * 10 ** 10",
        "y = sum(range(10 ** 10))",
        "y = [0] * 10 ** 10",
        "x = 'ab'\nx *= 10 ** 10",
        "y = 7 ** 10 ** 7",
        "y = 2\ny **= 10 ** 8",
        "y = (10 ** 20000) * (10 ** 20000)",
        "y = 1 << 10 ** 10",
        "y = 'x' * 9_000_000\nz = y + y",
        "y = ['x'] * 6_000_000\ny.extend(y)",
        "y = 'a'.ljust(10 ** 10)",
        "y = 'a'.rjust(10 ** 10)",
        "y = 'a'.center(10 ** 10)",
        "y = '1'.zfill(10 ** 10)",
        "y = '\\t'.expandtabs(10 ** 10)",
        "y = 'ab' * 1000\nz = y.replace('a', y * 1000)",
        "y = 'ab' * 10 ** 6\nz = y.join(['a'] * 10 ** 6)",
        "y = f'{1:>1000000000}'",
        "w = 10 ** 9\ny = f'{1:>{w}}'",
        "y = f'{1.5:.1000000000f}'",
        "y = '%1000000000d' % 1",
        "y = '%*d' % (10 ** 9, 1)",
        "y = '%d' % Decimal('1e999999')",
        "y = int(Decimal('1e999999'))",
        "y = round(Decimal('1e999999'))",
        "y = sum([[0] * 1000] * 10000, [])",
        "y = datetime(2024, 1, 1).strftime('%Y' * 100000)",
    ],
)
def test_huge_c_level_work_is_refused_quickly(env: SandboxEnvironment, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxError) as raised:
        env.execute(source, {})
    assert time.monotonic() - started < 2
    assert not isinstance(raised.value, ScriptTimeout)


def test_bounded_range_and_vetted_library() -> None:
    assert len(bounded_range(1_000_000)) == 1_000_000
    with pytest.raises(SandboxError):
        bounded_range(1_000_001)
    with pytest.raises(SandboxError):
        bounded_range(10**30)
    assert set(VETTED_FUNCTIONS) == {
        "len", "min", "max", "sum", "sorted", "abs", "round", "str", "int", "float", "bool", "list", "dict",
        "set", "tuple", "enumerate", "zip", "any", "all", "isinstance", "range", "Decimal", "datetime",
        "date", "timedelta", "timezone", "round_money",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", "12.50"), (2.675, "2.68"), (Decimal("1.005"), "1.01"), (-2.675, "-2.68"), (7, "7.00"),
     (Decimal("-0.001"), "0.00"), ("1e3", "1000.00")],
)  # fmt: skip
def test_round_money(value: Any, expected: str) -> None:
    assert round_money(value) == expected


def test_round_money_rejects_non_numbers() -> None:
    for bad in (True, None, [1], float("nan")):
        with pytest.raises((TypeError, ValueError)):
            round_money(bad)


# ---- normal code ----------------------------------------------------------------------------------

NORMAL_SCRIPT = """
total = price * qty + 1 - 0.5
half = total / 2
whole = total // 2
rest = qty % 2
square = qty ** 2
flags = (qty > 1, qty >= 2, qty < 5, qty <= 1, qty == 2, qty != 3)
data['a']['b'] = 1
data['a']['b'] += 4
data['list'][0] *= 3
lines = []
lines.append(1)
lines += [2, 3]
lines.extend([4])
missing = data.get('k')
present = data.get('a')['b']
ordered = sorted(items, reverse=True)
label = f"{name.upper()}: {qty:>3} x {price:.2f} ({name!r})"
amount = Decimal('1.10') * 2
moment = datetime.fromisoformat(when)
year = moment.year
later = (moment + timedelta(days=3)).date().isoformat()
age = (date(2024, 3, 10) - moment.date()).days
words = ' Hello World '.strip().lower().split()
starts = name.startswith('wid')
first, (second, third) = 1, (2, 3)
head, *tail = items
pairs = {}
for key, value in zip(['a', 'b'], [1, 2]):
    pairs[key] = value
for i, item in enumerate(items):
    if item > 2:
        big = i
    elif item == 1:
        one = i
    else:
        other = i
inside = 2 in items and 'b' in pairs and 9 not in items
squares = {str(i): i * i for i in range(4)}
odds = [i for i in range(10) if i % 2]
unique = sorted({i % 3 for i in range(10)})
gen_total = sum(i for i in items)
everything = all(i > 0 for i in items) and any(i > 2 for i in items)
def discount(value, rate=0.1):
    return round(value * (1 - rate), 2)
reduced = discount(100)
keyed = sorted(['b', 'A', 'c'], key=str.lower)
money = round_money(Decimal('3.455'))
is_num = isinstance(qty, int) and isinstance(price, (int, float))
parsed = int('42') + int(Decimal('7.9')) + int(3.7)
pct = '%s=%.1f%%' % ('rate', 12.34)
n = 0
while n < 5:
    n += 1
count = len(items) + min(items) + max(items) + abs(-2)
text = ', '.join(str(i) for i in items)
padded = 'ab'.ljust(4, '.') + '7'.zfill(3)
replaced = 'a-b-c'.replace('-', '+')
print('debug', qty)
log = printed
"""


def test_normal_code_runs(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {
        "price": 2.5, "qty": 2, "name": "widget", "items": [3, 1, 2], "when": "2024-03-01T10:00:00+00:00",
        "data": {"a": {}, "list": [2]},
    }  # fmt: skip
    env.execute(NORMAL_SCRIPT, context)
    assert context["total"] == 5.5 and context["half"] == 2.75 and context["whole"] == 2.0
    assert context["rest"] == 0 and context["square"] == 4
    assert context["flags"] == (True, True, True, False, True, True)
    assert context["data"] == {"a": {"b": 5}, "list": [6]}
    assert context["lines"] == [1, 2, 3, 4]
    assert context["missing"] is None and context["present"] == 5
    assert context["ordered"] == [3, 2, 1]
    assert context["label"] == "WIDGET:   2 x 2.50 ('widget')"
    assert context["amount"] == Decimal("2.20")
    assert context["year"] == 2024 and context["later"] == "2024-03-04" and context["age"] == 9
    assert context["words"] == ["hello", "world"] and context["starts"] is True
    assert (context["first"], context["second"], context["third"]) == (1, 2, 3)
    assert context["head"] == 3 and context["tail"] == [1, 2]
    assert context["pairs"] == {"a": 1, "b": 2}
    assert (context["big"], context["one"], context["other"]) == (0, 1, 2)
    assert context["inside"] is True
    assert context["squares"] == {"0": 0, "1": 1, "2": 4, "3": 9}
    assert context["odds"] == [1, 3, 5, 7, 9] and context["unique"] == [0, 1, 2]
    assert context["gen_total"] == 6 and context["everything"] is True
    assert context["reduced"] == 90.0
    assert context["keyed"] == ["A", "b", "c"]
    assert context["money"] == "3.46"
    assert context["is_num"] is True and context["parsed"] == 52
    assert context["pct"] == "rate=12.3%"
    assert context["n"] == 5 and context["count"] == 9
    assert context["text"] == "3, 1, 2" and context["padded"] == "ab..007" and context["replaced"] == "a+b+c"
    assert context["log"] == "debug 2\n"
    assert "discount" not in context


def test_evaluate_returns_value_and_leaves_context_alone(env: SandboxEnvironment) -> None:
    context = {"x": 7, "amount": Decimal("12.5"), "when": datetime(2024, 3, 1)}
    snapshot = dict(context)
    assert env.evaluate("x > 5", context) is True
    assert env.evaluate("x * 2 if x > 5 else 0", context) == 14
    assert env.evaluate("round_money(amount)", context) == "12.50"
    assert env.evaluate("when + timedelta(days=1)", context) == datetime(2024, 3, 2)
    assert env.evaluate("dmninputexpr in ('a', 'b')", context, {"dmninputexpr": "a"}) is True
    assert env.evaluate("x", context, {"x": 1}) == 7  # task data wins over external context
    assert context == snapshot


# ---- what stays in task data ----------------------------------------------------------------------


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | Decimal | datetime | date | timedelta)


def test_execute_leaves_only_plain_data(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {"a": 1}
    env.execute(
        "def helper():\n    return 1\nf = lambda: 2\nb = helper() + f()\nc = [i for i in range(3)]\n"
        "t = (1, 'x')\nprint(b)\ntry:\n    q = 1 / 0\nexcept ZeroDivisionError:\n    q = None\nr = len\n",
        context,
    )
    assert context == {"a": 1, "b": 3, "c": [0, 1, 2], "t": (1, "x"), "q": None}
    assert all(_plain(v) for v in context.values())
    assert not any(key.startswith("_") for key in context)


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("g = (i for i in items)", "g"),
        ("z = zip(items, items)", "z"),
        ("r = range(3)", "r"),
        ("k = d.keys()", "k"),
        ("nested = {'f': lambda: 1}", "nested"),
        ("nested = [len]", "nested"),
    ],
)
def test_non_data_values_are_refused_and_dropped(env: SandboxEnvironment, source: str, name: str) -> None:
    context = _data()
    with pytest.raises(SandboxError):
        env.execute(source, context)
    assert name not in context
    assert all(_plain(v) for v in context.values())


def test_evaluate_refuses_non_data_results(env: SandboxEnvironment) -> None:
    for expression in ("len", "lambda: 1", "[len]", "(i for i in items)"):
        with pytest.raises(SandboxError):
            env.evaluate(expression, _data())


def test_functions_follow_task_data_environment_rules() -> None:
    env = SandboxEnvironment(functions={"double": lambda v: v * 2})
    context: dict[str, Any] = {"x": 4}
    env.execute("y = double(x)", context, {"ext": 10})
    assert context == {"x": 4, "y": 8}
    assert env.evaluate("double(x) + ext", context, {"ext": 1}) == 9
    with pytest.raises(ValueError, match="overwrites a predefined function"):
        env.execute("y = 1", {"double": 3})
    with pytest.raises(ValueError):
        SandboxEnvironment(functions={"_getattr_": lambda *a: None})
    # Vetted names behave like builtins: task data may shadow them.
    shadowed: dict[str, Any] = {"date": "2024-01-01", "type": "refund"}
    env.execute("kind = type\nday = date", shadowed)
    assert shadowed == {"date": "2024-01-01", "type": "refund", "kind": "refund", "day": "2024-01-01"}


def test_reserved_names_in_task_data_are_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxError):
        env.execute("y = x.real", {"x": 1, "_getattr_": "anything"})
    with pytest.raises(SandboxError):
        env.evaluate("x", {"x": 1, "_write_": "anything"})


# ---- through SpiffWorkflow ------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
    <bpmn:scriptTask id="script" name="Compute">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="gateway"/>
    <bpmn:exclusiveGateway id="gateway" default="to_low">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>to_high</bpmn:outgoing><bpmn:outgoing>to_low</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_high" sourceRef="gateway" targetRef="end_high">
      <bpmn:conditionExpression>x &gt; 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_low" sourceRef="gateway" targetRef="end_low"/>
    <bpmn:endEvent id="end_high"><bpmn:incoming>to_high</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_low"><bpmn:incoming>to_low</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _workflow(script: str, data: dict[str, Any], engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode())
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=engine or make_script_engine())
    start = workflow.get_next_task(state=TaskState.READY)
    assert start is not None
    start.data.update(data)
    return workflow


@pytest.mark.parametrize(("a", "end"), [(3, "end_high"), (2, "end_low")])
def test_script_and_gateway_run_in_the_sandbox(a: int, end: str) -> None:
    engine = make_script_engine()
    assert isinstance(engine, PythonScriptEngine) and isinstance(engine.environment, SandboxEnvironment)
    workflow = _workflow("x = a * 2", {"a": a}, engine)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    finished = workflow.get_tasks(state=TaskState.COMPLETED, spec_name=end)
    assert len(finished) == 1
    assert finished[0].data == {"a": a, "x": a * 2}
    assert workflow.data == {"a": a, "x": a * 2}


def test_blocked_script_fails_the_task_not_the_caller() -> None:
    workflow = _workflow("y = 1\nimport os", {"a": 1})
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.task is not None and raised.value.task.task_spec.name == "script"
    assert raised.value.task.state == TaskState.ERROR
    assert raised.value.error_type == "SandboxError"
    assert "import statements are not allowed" in str(raised.value)
    assert workflow.get_tasks(state=TaskState.ERROR, spec_name="script")


def test_runtime_sandbox_error_reports_the_script_line() -> None:
    workflow = _workflow("y = 1\nz = type(a)", {"a": 1})
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.line_number == 2 and raised.value.error_line == "z = type(a)"
    assert raised.value.task.state == TaskState.ERROR


def test_endless_script_in_workflow_times_out() -> None:
    workflow = _workflow("while True: pass", {"a": 1}, make_script_engine(time_limit=0.3))
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert time.monotonic() - started < 2
    assert raised.value.error_type == "ScriptTimeout"
    assert raised.value.task.state == TaskState.ERROR


DMN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="dmn_defs_bpmn" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="dmn_proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:businessRuleTask id="decide" name="Decide route">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>route_decision</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

# Input cells: SpiffWorkflow compares plain values with ``(input) == (cell)`` but glues operator
# cells straight onto the input expression (``days`` + ``<= 7``), so an ``in`` cell needs a leading
# space (``code`` + ``in (...)`` would read ``codein (...)``); ``?`` stands for the input value.
DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="route_defs" name="Routing"
    namespace="http://example.org/dmn">
  <decision id="route_decision" name="Route">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="in_category" label="Category">
        <inputExpression id="ie_category" typeRef="string"><text>category</text></inputExpression>
      </input>
      <input id="in_days" label="Days">
        <inputExpression id="ie_days" typeRef="integer"><text>days</text></inputExpression>
      </input>
      <input id="in_code" label="Code">
        <inputExpression id="ie_code" typeRef="string"><text>code</text></inputExpression>
      </input>
      <input id="in_vip" label="VIP">
        <inputExpression id="ie_vip" typeRef="boolean"><text>vip</text></inputExpression>
      </input>
      <output id="out_route" label="Route" name="route" typeRef="string"/>
      <output id="out_fee" label="Fee" name="fee" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="r1_category"><text>"electronics"</text></inputEntry>
        <inputEntry id="r1_days"><text>&lt;= 7</text></inputEntry>
        <inputEntry id="r1_code"><text> in ("a", "b")</text></inputEntry>
        <inputEntry id="r1_vip"><text>-</text></inputEntry>
        <outputEntry id="r1_route"><text>"refund"</text></outputEntry>
        <outputEntry id="r1_fee"><text>round_money(price * Decimal("0.1"))</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_category"><text>"electronics"</text></inputEntry>
        <inputEntry id="r2_days"><text>0 &lt; ? &lt;= 30</text></inputEntry>
        <inputEntry id="r2_code"><text>-</text></inputEntry>
        <inputEntry id="r2_vip"><text>True</text></inputEntry>
        <outputEntry id="r2_route"><text>"exchange"</text></outputEntry>
        <outputEntry id="r2_fee"><text>"0.00"</text></outputEntry>
      </rule>
      <rule id="r3">
        <inputEntry id="r3_category"><text>-</text></inputEntry>
        <inputEntry id="r3_days"><text>-</text></inputEntry>
        <inputEntry id="r3_code"><text>-</text></inputEntry>
        <inputEntry id="r3_vip"><text>-</text></inputEntry>
        <outputEntry id="r3_route"><text>"repair"</text></outputEntry>
        <outputEntry id="r3_fee"><text>OUTPUT</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def _dmn_workflow(data: dict[str, Any], fallback_fee: str = '"5.00"') -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(DMN_BPMN.encode())
    parser.add_dmn_str(DMN.replace("OUTPUT", fallback_fee).encode())
    workflow = BpmnWorkflow(parser.get_spec("dmn_proc"), script_engine=make_script_engine())
    start = workflow.get_next_task(state=TaskState.READY)
    assert start is not None
    start.data.update(data)
    return workflow


@pytest.mark.parametrize(
    ("data", "route", "fee"),
    [
        ({"category": "electronics", "days": 3, "code": "a", "vip": False}, "refund", "1.25"),
        ({"category": "electronics", "days": 20, "code": "z", "vip": True}, "exchange", "0.00"),
        ({"category": "electronics", "days": 20, "code": "a", "vip": False}, "repair", "5.00"),
        ({"category": "toys", "days": 1, "code": "b", "vip": True}, "repair", "5.00"),
    ],
)
def test_dmn_cells_evaluate_in_the_sandbox(data: dict[str, Any], route: str, fee: str) -> None:
    workflow = _dmn_workflow({**data, "price": Decimal("12.50")})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["route"] == route and workflow.data["fee"] == fee


def test_dmn_cells_are_restricted() -> None:
    # round_money exists only in the sandbox; a dunder in a cell is rejected by it.
    plain = PythonScriptEngine(environment=TaskDataEnvironment())
    with pytest.raises(NameError):
        plain.environment.evaluate("round_money(1)", {})
    workflow = _dmn_workflow({"category": "toys", "days": 1, "code": "b", "vip": True}, "().__class__")
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.error_type == "SandboxError"
    assert raised.value.task.state == TaskState.ERROR
