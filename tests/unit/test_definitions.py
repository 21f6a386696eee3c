"""load_bundle: a good set loads with its closure; every kind of bad file is reported, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from rma_orchestrator.engine.bundle import Bundle, load_bundle
from rma_orchestrator.engine.spec_extensions import spec_properties, task_form
from rma_orchestrator.errors import InvalidDefinition

DATA = Path(__file__).parent / "data"
LIFECYCLE = Path(__file__).parents[1] / "data" / "lifecycle"
GOOD = ["minimal.bpmn", "child.bpmn", "minimal.dmn", "start_form.json", "review.json", "child_form.json"]
TIMER = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>'
SCRIPT = "<bpmn:script>total = amount * factor</bpmn:script>"
CELL = "<text>&lt; 10</text>"
TIMER_KINDS = {
    "timeDuration": DurationTimerEventDefinition,
    "timeDate": TimeDateEventDefinition,
    "timeCycle": CycleTimerEventDefinition,
}


def good_files() -> dict[str, bytes]:
    return {name: (DATA / name).read_bytes() for name in GOOD}


def mutated(name: str, old: str, new: str, files: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The good set with one text replacement in one file (which must apply)."""
    files = dict(files or good_files())
    text = files[name].decode()
    assert old in text, old
    files[name] = text.replace(old, new).encode()
    return files


def errors_of(files: dict[str, bytes], known: dict[str, bytes] | None = None) -> list[dict]:
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle(files, known)
    for item in caught.value.items:
        assert set(item) == {"file", "line", "element", "message", "rule"}
        assert item["message"]
    return caught.value.items


def one_error(files: dict[str, bytes], known: dict[str, bytes] | None = None) -> dict:
    items = errors_of(files, known)
    assert len(items) == 1, items
    return items[0]


def line_of(name: str, needle: str, files: dict[str, bytes]) -> int:
    lines = files[name].decode().splitlines()
    return next(index for index, line in enumerate(lines, start=1) if needle in line)


# ---- good bundles ----------------------------------------------------------------------------------


def test_good_bundle_loads_with_closure_start_form_and_subprocess_specs() -> None:
    bundle = load_bundle(good_files())
    assert isinstance(bundle, Bundle)
    assert set(bundle.processes) == {"minimal", "child"}
    top = bundle.processes["minimal"]
    assert (top.key, top.name, top.file) == ("minimal", "Minimal", "minimal.bpmn")
    assert top.start_form == "start_form.json"
    assert top.files == frozenset(GOOD)
    assert set(top.subprocess_specs) == {"child"}
    assert set(top.forms) == {"start_form.json", "review.json", "child_form.json"}
    assert top.forms["review.json"]["properties"]["approved"] == {"type": "boolean"}
    child = bundle.processes["child"]
    assert child.files == {"child.bpmn", "child_form.json"} and child.start_form is None
    assert child.subprocess_specs == {}
    assert set(bundle.forms) == {"start_form.json", "review.json", "child_form.json"}
    review = top.spec.task_specs["review"]
    assert task_form(review) == "review.json"
    assert spec_properties(review) == {"formJsonSchemaFilename": "review.json", "sla": "PT4H"}
    assert review.lane == "clerk"
    assert task_form(top.spec.task_specs["prepare"]) is None and spec_properties(top.spec.start) == {}


def test_lifecycle_bundle_loads() -> None:
    files = {p.name: p.read_bytes() for p in LIFECYCLE.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")}
    bundle = load_bundle(files)
    review = bundle.processes["order_review"]
    assert review.files == {
        "order_review.bpmn",
        "order_fix.bpmn",
        "review_rules.dmn",
        "order_start.json",
        "review_form.json",
    }
    assert review.start_form == "order_start.json"
    assert set(review.subprocess_specs) == {"order_fix"}
    assert task_form(review.spec.task_specs["review_order"]) == "review_form.json"
    assert review.spec.task_specs["review_order"].lane == "customer_service"


@pytest.mark.parametrize("policy", ["FIRST", "COLLECT"])
def test_first_and_collect_hit_policies_are_accepted(policy: str) -> None:
    bundle = load_bundle(mutated("minimal.dmn", 'hitPolicy="UNIQUE"', f'hitPolicy="{policy}"'))
    table = bundle.processes["minimal"].spec.task_specs["decide"].dmnEngine.decision_table
    assert table.hit_policy == policy and [rule.id for rule in table.rules] == ["rule_low", "rule_high"]


@pytest.mark.parametrize("cell", ["? &lt; 10", " in (1, 2)", "? in (1, 2)", "-", '"x"', "(1, 2)"])
def test_python_dmn_cells_are_accepted(cell: str) -> None:
    bundle = load_bundle(mutated("minimal.dmn", CELL, f"<text>{cell}</text>"))
    table = bundle.processes["minimal"].spec.task_specs["decide"].dmnEngine.decision_table
    (entry,) = table.rules[0].inputEntries
    assert entry.text == cell.replace("&lt;", "<")  # kept as written, not rewritten or dropped


@pytest.mark.parametrize(
    "kind, text",
    [
        ("timeDuration", '"P1DT2H"'),
        ("timeDuration", "reminder_delay"),
        ("timeDate", '"2030-01-31T09:00:00+01:00"'),
        ("timeDate", '"2030-01-31T09:00:00Z"'),
        ("timeCycle", '"R3/PT1H"'),
        ("timeCycle", '"R2/2030-01-31T09:00:00Z/PT1H"'),
    ],
)
def test_good_timers_are_accepted(kind: str, text: str) -> None:
    bundle = load_bundle(mutated("minimal.bpmn", TIMER, f"<bpmn:{kind}>{text}</bpmn:{kind}>"))
    timer = bundle.processes["minimal"].spec.task_specs["remind"].event_definition
    assert type(timer) is TIMER_KINDS[kind] and timer.expression == text


def test_non_executable_process_is_skipped() -> None:
    pool = (
        '<bpmn:process id="partner" isExecutable="false"><bpmn:complexGateway id="odd" />'
        '<bpmn:task id="dangling" /></bpmn:process></bpmn:definitions>'
    )
    bundle = load_bundle(mutated("minimal.bpmn", "</bpmn:definitions>", pool))
    assert set(bundle.processes) == {"minimal", "child"}


def test_known_files_resolve_references_and_are_not_reported() -> None:
    files = good_files()
    moved = ["child.bpmn", "minimal.dmn", "review.json", "child_form.json"]
    known = {name: files.pop(name) for name in moved}
    known["broken.bpmn"] = b"<not xml"
    known["minimal.bpmn"] = b"replaced by the upload"
    bundle = load_bundle(files, known)
    assert set(bundle.processes) == {"minimal"}
    assert bundle.processes["minimal"].files == frozenset(GOOD)
    assert "review.json" in bundle.forms


def test_known_processes_that_use_an_uploaded_file_are_included() -> None:
    known = good_files()
    files = {"child_form.json": known.pop("child_form.json")}
    bundle = load_bundle(files, known)
    assert set(bundle.processes) == {"minimal", "child"}
    assert bundle.processes["minimal"].files == frozenset(GOOD)


def test_known_process_broken_by_the_upload_is_left_out_silently() -> None:
    known = good_files()
    files = mutated("minimal.dmn", 'id="minimal_decision"', 'id="renamed_decision"', known)
    files = {"minimal.dmn": files["minimal.dmn"]}
    del known["minimal.dmn"]
    assert load_bundle(files, known).processes == {}


def test_broken_known_called_process_is_reported_on_the_caller() -> None:
    files = good_files()
    child = files.pop("child.bpmn").decode()
    outgoing = "<bpmn:outgoing>c2</bpmn:outgoing>"
    loop = "<bpmn:multiInstanceLoopCharacteristics />"
    known = {"child.bpmn": child.replace(outgoing, outgoing + loop).encode()}
    error = one_error(files, known)
    assert (error["file"], error["element"]) == ("minimal.bpmn", "minimal")
    assert "child.bpmn" in error["message"] and "cardinality" in error["message"]


def test_uploaded_process_wins_over_the_same_id_in_a_known_file() -> None:
    files = good_files()
    known = {"old_child.bpmn": mutated("child.bpmn", 'name="Child"', 'name="Old"')["child.bpmn"]}
    assert load_bundle(files, known).processes["child"].name == "Child"


# ---- file-level errors ------------------------------------------------------------------------------


def test_malformed_xml_reports_the_line() -> None:
    files = mutated("minimal.bpmn", '<bpmn:endEvent id="end">', '<bpmn:endEvent id="end>')
    error = one_error(files)
    assert error["file"] == "minimal.bpmn" and "not well-formed XML" in error["message"]
    assert error["line"] is not None and error["line"] >= line_of("minimal.bpmn", 'id="end>', files)


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("notes.txt", b"hello", "Unsupported file type"),
        ("latin.bpmn", "<?xml version='1.0'?><x>caf\xe9</x>".encode("latin-1"), "not valid UTF-8"),
        ("empty.dmn", b"", "not well-formed XML"),
        ("wrong_root.dmn", (DATA / "child.bpmn").read_bytes(), "not a DMN"),
        ("wrong_root.bpmn", (DATA / "minimal.dmn").read_bytes(), "not a BPMN"),
    ],
)
def test_unusable_files_are_errors(name: str, content: bytes, fragment: str) -> None:
    error = one_error({**good_files(), name: content})
    assert error["file"] == name and fragment in error["message"]


def test_xsd_violation_reports_line_and_element() -> None:
    files = mutated("minimal.bpmn", 'cancelActivity="false"', 'cancelActivity="maybe"')
    error = one_error(files)
    assert error["element"] == "remind" and "Schema violation" in error["message"]
    assert error["line"] == line_of("minimal.bpmn", 'cancelActivity="maybe"', files)


def test_dmn_xsd_violation_is_reported() -> None:
    error = one_error(mutated("minimal.dmn", 'hitPolicy="UNIQUE"', 'hitPolicy="SOMETIMES"'))
    assert error["file"] == "minimal.dmn" and "Schema violation" in error["message"]


@pytest.mark.parametrize(
    "content, fragment, line",
    [
        (b'{\n  "type": "object",\n  "properties": {,}\n}', "not valid JSON", 3),
        (b"[1, 2]", "JSON Schema object", 1),
        (b'{"type": 5}', "Not a valid JSON Schema", None),
    ],
)
def test_bad_form_files(content: bytes, fragment: str, line: int | None) -> None:
    error = one_error({**good_files(), "review.json": content})
    assert (error["file"], error["line"]) == ("review.json", line) and fragment in error["message"]


def test_missing_form_file_is_reported_on_the_task() -> None:
    files = good_files()
    del files["review.json"]
    error = one_error(files)
    assert (error["file"], error["element"]) == ("minimal.bpmn", "review")
    assert "review.json" in error["message"]


# ---- BPMN structure ---------------------------------------------------------------------------------


def test_unsupported_flow_node_is_reported() -> None:
    files = mutated("minimal.bpmn", "exclusiveGateway", "complexGateway")
    error = one_error(files)
    assert error["element"] == "route" and "complexGateway" in error["message"]
    assert error["line"] == line_of("minimal.bpmn", '<bpmn:complexGateway id="route"', files)


@pytest.mark.parametrize(
    "definition",
    [
        '<bpmn:signalEventDefinition id="signal_end" />',
        '<bpmn:compensateEventDefinition id="compensate_end" />',
    ],
)
def test_event_definitions_the_parser_ignores_are_reported(definition: str) -> None:
    files = mutated(
        "minimal.bpmn", "<bpmn:incoming>f8</bpmn:incoming>", f"<bpmn:incoming>f8</bpmn:incoming>{definition}"
    )
    error = one_error(files)
    assert error["element"] == "end_reminded" and "not supported" in error["message"]


def test_spiffworkflow_validation_exception_is_mapped() -> None:
    loop = "<bpmn:multiInstanceLoopCharacteristics />"
    outgoing = "<bpmn:outgoing>f6</bpmn:outgoing>"
    files = mutated("minimal.bpmn", outgoing, outgoing + loop)
    error = one_error(files)
    assert (error["file"], error["element"]) == ("minimal.bpmn", "review")
    assert error["line"] == line_of("minimal.bpmn", '<bpmn:userTask id="review"', files)
    assert error["message"].startswith("SpiffWorkflow rejected") and "cardinality" in error["message"]


@pytest.mark.parametrize(
    "old, new, element, fragment",
    [
        ('calledElement="child"', 'calledElement="nowhere"', "call_child", "'nowhere'"),
        ('<bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="end" />', "", "review", "no outgoing"),
        ('targetRef="end" />', 'targetRef="end_reminded" />', "end", "no incoming"),
        (
            '<bpmn:sequenceFlow id="f8" sourceRef="remind" targetRef="end_reminded" />',
            "",
            "remind",
            "no outgoing",
        ),
        (
            '<bpmn:endEvent id="end_reminded">',
            '<bpmn:task id="orphan"><bpmn:outgoing>f9</bpmn:outgoing></bpmn:task><bpmn:sequenceFlow id="f9" '
            'sourceRef="orphan" targetRef="end" /><bpmn:endEvent id="end_reminded">',
            "orphan",
            "no incoming",
        ),
        (
            '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="decide" />',
            '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="decide" />'
            '<bpmn:sequenceFlow id="f2b" sourceRef="prepare" targetRef="end" />',
            "prepare",
            "only gateways",
        ),
        (
            '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="decide" />',
            '<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="decide"><bpmn:conditionExpression>'
            "total &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>",
            "f2",
            "ignores conditions",
        ),
        ('default="f5"', "", "f5", "without a condition"),
        ('default="f5"', 'default="f4"', "f5", "without a condition"),
    ],
)
def test_flow_structure_errors(old: str, new: str, element: str, fragment: str | None) -> None:
    items = errors_of(mutated("minimal.bpmn", old, new))
    hits = [item for item in items if item["element"] == element]
    assert hits, items
    assert fragment is None or any(fragment in item["message"] for item in hits), hits


def test_subprocess_without_end_event_is_reported() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>'
        '<bpmn:startEvent id="sub_start" /></bpmn:subProcess>'
    )
    files = mutated("minimal.bpmn", '<bpmn:callActivity id="call_child" calledElement="child">', sub + "<!--")
    files = mutated("minimal.bpmn", "</bpmn:callActivity>", "-->", files)
    files = mutated("minimal.bpmn", 'targetRef="call_child"', 'targetRef="sub"', files)
    files = mutated("minimal.bpmn", 'sourceRef="call_child"', 'sourceRef="sub"', files)
    messages = {item["message"] for item in errors_of(files) if item["element"] in ("sub", "sub_start")}
    assert any("no end event" in m for m in messages) and any("no outgoing" in m for m in messages)


def test_call_to_non_executable_process_is_reported() -> None:
    files = mutated("child.bpmn", 'isExecutable="true"', 'isExecutable="false"')
    error = one_error(files)
    assert error["element"] == "call_child" and "not executable" in error["message"]


def test_unknown_decision_is_reported() -> None:
    files = mutated("minimal.bpmn", ">minimal_decision<", ">no_such_decision<")
    error = one_error(files)
    assert error["element"] == "decide" and "'no_such_decision' is not defined" in error["message"]


# ---- expressions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, element, needle",
    [
        (SCRIPT, "<bpmn:script>total = = 2</bpmn:script>", "prepare", "total = = 2"),
        (SCRIPT, "<bpmn:script>import os</bpmn:script>", "prepare", "import os"),
        (SCRIPT, "<bpmn:script>x = __import__('os')</bpmn:script>", "prepare", "__import__"),
        (SCRIPT, "<bpmn:script></bpmn:script>", "prepare", "<bpmn:script>"),
        ('level == "high"', "level ==", "f4", "level =="),
        (
            "factor = 2</spiffworkflow:preScript>",
            "factor = </spiffworkflow:preScript>",
            "prepare",
            "factor = <",
        ),
    ],
)
def test_bpmn_expressions_are_compiled(old: str, new: str, element: str, needle: str) -> None:
    files = mutated("minimal.bpmn", old, new)
    error = one_error(files)
    assert error["element"] == element and error["line"] == line_of("minimal.bpmn", needle, files)


def test_script_error_line_points_into_the_script() -> None:
    files = mutated("minimal.bpmn", SCRIPT, "<bpmn:script>a = 1\nb = (\n</bpmn:script>")
    error = one_error(files)
    assert error["element"] == "prepare" and error["line"] == line_of("minimal.bpmn", "b = (", files)


@pytest.mark.parametrize(
    "old, new, element, fragment",
    [
        (CELL, "<text>&lt; &lt; 10</text>", "rule_low", "not valid Python"),
        (CELL, "<text>in (1, 2)</text>", "rule_low", "? in (1, 2)"),
        (CELL, "<text>__import__('os')</text>", "rule_low", "sandboxed"),
        ('<text>"low"</text>', '<text>"low</text>', "rule_low", "Output cell"),
        ("<text>total</text>", "<text>total +</text>", "input_total", "Input expression"),
    ],
)
def test_dmn_cells_are_compiled(old: str, new: str, element: str, fragment: str) -> None:
    files = mutated("minimal.dmn", old, new)
    error = one_error(files)
    assert (error["file"], error["element"]) == ("minimal.dmn", element) and fragment in error["message"]
    assert error["line"] == line_of("minimal.dmn", new.split("\n")[0], files)


@pytest.mark.parametrize(
    "cell, python",
    [
        ('"a","b"', '? in ("a", "b")'),
        ("[1..7]", "? >= 1 and ? <= 7"),
        ("(1..7)", "? > 1 and ? < 7"),
        ('not("a")', '? != "a"'),
        ('not("a", "b")', '? not in ("a", "b")'),
        ("true", "True"),
        ("null", "None"),
        ('date("2024-01-01")', "FEEL function `date"),
        ('date and time("2024-01-01T10:00:00")', "FEEL function `date and time"),
        ('&gt; duration("P1D")', "FEEL function `duration"),
    ],
)
def test_feel_syntax_is_rejected_with_the_python_form(cell: str, python: str) -> None:
    error = one_error(mutated("minimal.dmn", CELL, f"<text>{cell}</text>"))
    assert error["element"] == "rule_low" and python in error["message"], error


def test_feel_constant_in_output_cell_is_rejected() -> None:
    error = one_error(mutated("minimal.dmn", '<text>"low"</text>', "<text>false</text>"))
    assert error["element"] == "rule_low" and "False" in error["message"]


@pytest.mark.parametrize("policy", ["ANY", "PRIORITY", "OUTPUT ORDER", "RULE ORDER"])
def test_unsupported_hit_policies_are_rejected(policy: str) -> None:
    error = one_error(mutated("minimal.dmn", 'hitPolicy="UNIQUE"', f'hitPolicy="{policy}"'))
    assert error["element"] == "table" and policy in error["message"]


@pytest.mark.parametrize("aggregation", ["SUM", "MIN", "MAX", "COUNT"])
def test_collect_with_aggregation_is_rejected(aggregation: str) -> None:
    policy = f'hitPolicy="COLLECT" aggregation="{aggregation}"'
    error = one_error(mutated("minimal.dmn", 'hitPolicy="UNIQUE"', policy))
    assert error["element"] == "table" and aggregation in error["message"]


def test_dmn_with_two_decisions_is_rejected() -> None:
    second = (
        '<decision id="second" name="Second"><decisionTable id="t2"><output id="o2" />'
        "</decisionTable></decision></definitions>"
    )
    error = one_error(mutated("minimal.dmn", "</definitions>", second))
    assert error["file"] == "minimal.dmn" and "2 decisions" in error["message"]


@pytest.mark.parametrize(
    "kind, text, fragment",
    [
        ("timeDuration", "PT24H", '"PT24H"'),
        ("timeCycle", "R3/PT1H", '"R3/PT1H"'),
        ("timeDate", "2030-01-31T09:00:00Z", '"2030-01-31T09:00:00Z"'),
        ("timeDuration", '"P1X"', "not valid ISO 8601"),
        ("timeDuration", "5", "string"),
        ("timeDate", '"2030-01-31T09:00:00"', "UTC offset"),
        ("timeDate", '"2030-01-31"', "UTC offset"),
        ("timeDate", '"PT1H"', "duration"),
        ("timeCycle", '"R2/2030-01-31T09:00:00/PT1H"', "UTC offset"),
        ("timeDuration", "delay +", "sandboxed"),
        ("timeDuration", "", "empty"),
    ],
)
def test_bad_timers_are_rejected(kind: str, text: str, fragment: str) -> None:
    files = mutated("minimal.bpmn", TIMER, f"<bpmn:{kind}>{text}</bpmn:{kind}>")
    error = one_error(files)
    assert error["element"] == "remind_timer" and fragment in error["message"], error


# ---- aggregation ------------------------------------------------------------------------------------


def test_errors_from_every_file_are_reported_together() -> None:
    files = mutated("minimal.bpmn", SCRIPT, "<bpmn:script>total = = 2</bpmn:script>")
    files = mutated("minimal.dmn", CELL, "<text>[1..7]</text>", files)
    files = mutated("child.bpmn", 'targetRef="child_end"', 'targetRef="child_work"', files)
    files["review.json"] = b"{"
    items = errors_of(files)
    assert {item["file"] for item in items} == {"minimal.bpmn", "minimal.dmn", "child.bpmn", "review.json"}


def test_duplicate_process_ids_in_the_upload_are_reported() -> None:
    files = {**good_files(), "copy.bpmn": (DATA / "child.bpmn").read_bytes()}
    items = errors_of(files)
    assert any(item["element"] == "child" and "also defined" in item["message"] for item in items)
