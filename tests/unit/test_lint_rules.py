"""Validation's one rule set: each rule has a small diagram that breaks it, and names its rule and element.

Errors are the deploy checks (a deploy is refused); warnings are the lint rules, which a deploy never
runs: each lint diagram below deploys, and only validation finds what is wrong with it.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from rma_orchestrator.engine.bundle import load_bundle, validate_bundle
from rma_orchestrator.engine.checker import RULES

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parent / "data" / "lint"
FORM = {"lint_review.json": (DATA / "lint_review.json").read_bytes()}
Findings = list[dict[str, object]]


def findings(name: str) -> tuple[Findings, Findings]:
    files = {name: (DATA / name).read_bytes(), **FORM}
    return validate_bundle(files)


def lint_only(name: str) -> Findings:
    """The warnings of a diagram that deploys: a deploy (no lint) accepts it."""
    files = {name: (DATA / name).read_bytes(), **FORM}
    load_bundle(files)
    errors, warnings = validate_bundle(files)
    assert errors == []
    for item in warnings:
        assert set(item) == {"file", "line", "element", "message", "rule"} and item["rule"] in RULES
        assert item["file"] == name and isinstance(item["line"], int)
    return warnings


def test_the_clean_diagram_breaks_no_rule() -> None:
    """It has all the rules' subjects done right: lanes and forms, a payload variable, a working-day
    timer on case data, a gateway whose two conditions negate each other."""
    assert lint_only("lint_clean.bpmn") == []


def test_user_task_form_needs_a_lane_and_a_form() -> None:
    lane, form = lint_only("lint_user_task_form.bpmn")
    assert (lane["rule"], lane["element"], form["rule"], form["element"]) == (
        "user-task-form",
        "review",
        "user-task-form",
        "review",
    )
    assert "in no lane" in str(lane["message"]) and "has no form" in str(form["message"])


def test_a_form_that_is_not_deployed_is_a_user_task_form_error() -> None:
    text = (DATA / "lint_clean.bpmn").read_bytes()
    errors, _ = validate_bundle({"lint_clean.bpmn": text})
    (error,) = errors
    assert (error["rule"], error["element"]) == ("user-task-form", "review")


def test_gateway_default_warns_when_conditions_may_all_be_false() -> None:
    (warning,) = lint_only("lint_gateway_default.bpmn")
    assert (warning["rule"], warning["element"]) == ("gateway-default", "decide")


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        ("approved", "not approved"),
        ("n < 3", "n >= 3"),
        ('kind == "a"', 'kind != "a"'),
        ("x in s", "x not in s"),
    ],
)
def test_two_conditions_that_negate_each_other_need_no_default(yes: str, no: str) -> None:
    text = (DATA / "lint_gateway_default.bpmn").read_text()
    text = text.replace('route == "auto"', escape(yes, {'"': "&quot;"})).replace(
        'route == "manual"', escape(no, {'"': "&quot;"})
    )
    assert validate_bundle({"g.bpmn": text.encode(), **FORM}) == ([], [])


def test_timer_evaluates_on_sample_data_the_way_the_engine_will() -> None:
    """``add_working_days`` runs on the working-day calendar; cutting its value to a date loses the offset."""
    (warning,) = lint_only("lint_timer_evaluates.bpmn")
    assert (warning["rule"], warning["element"]) == ("timer-evaluates", "reply_late")
    assert "asked_at" in str(warning["message"]) and "no UTC offset" in str(warning["message"])


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("add_working_days(&quot;two&quot;)", "does not evaluate"),
        ("asked_at + 1", "does not evaluate"),
        ("asked_at and 3", "not an ISO 8601 string"),
        ("[x for x in range(10 ** 6) for y in range(10 ** 6)]", "does not evaluate"),
    ],
)
def test_timer_expressions_that_fail_on_every_sample_are_reported(expression: str, says: str) -> None:
    text = (DATA / "lint_clean.bpmn").read_text().replace("add_working_days(2, asked_at)", expression)
    errors, warnings = validate_bundle({"t.bpmn": text.encode(), **FORM})
    assert errors == []
    (warning,) = warnings
    assert warning["rule"] == "timer-evaluates" and says in str(warning["message"])


@pytest.mark.parametrize(
    "expression", ["add_working_days(days, start)", "add_working_days(wait_days)", "due", "now()"]
)
def test_timer_expressions_that_fit_some_sample_are_not_reported(expression: str) -> None:
    """Each name is tried as a date-time string, a number and a duration string, in every combination."""
    text = (DATA / "lint_clean.bpmn").read_text().replace("add_working_days(2, asked_at)", expression)
    assert validate_bundle({"t.bpmn": text.encode(), **FORM}) == ([], [])


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("list(range(10 ** 6))", "it gives list [0, 1, 2,"),  # its whole repr was 7 MB
        ("&quot;P&quot; * 100000", "too long for a timer value"),
    ],
)
def test_a_huge_value_is_echoed_cut_short(expression: str, says: str) -> None:
    """``rma validate`` evaluates in its own process; the warning still quotes only the start of the value."""
    text = (DATA / "lint_clean.bpmn").read_text().replace("add_working_days(2, asked_at)", expression)
    (warning,) = validate_bundle({"t.bpmn": text.encode(), **FORM})[1]
    assert says in str(warning["message"]) and len(str(warning["message"])) < 500


def test_a_huge_literal_is_refused_with_its_start_only() -> None:
    literal = "&quot;" + "X" * 100_000 + "&quot;"
    text = (DATA / "lint_clean.bpmn").read_text().replace("add_working_days(2, asked_at)", literal)
    (error,) = validate_bundle({"t.bpmn": text.encode(), **FORM})[0]
    assert "is not valid ISO 8601" in str(error["message"]) and len(str(error["message"])) < 400


def test_a_literal_timer_stays_a_deploy_error_with_its_rule() -> None:
    text = (DATA / "lint_clean.bpmn").read_text().replace("add_working_days(2, asked_at)", "PT24H")
    errors, warnings = validate_bundle({"t.bpmn": text.encode(), **FORM})
    (error,) = errors
    assert error["rule"] == "timer-evaluates" and "not quoted" in str(error["message"]) and warnings == []


def test_message_payload_needs_the_variable_where_the_engine_reads_it() -> None:
    misplaced, missing = lint_only("lint_message_payload.bpmn")
    assert (misplaced["rule"], misplaced["element"]) == ("message-payload", "reply_early")
    assert "on the event" in str(misplaced["message"])
    assert (missing["rule"], missing["element"]) == ("message-payload", "wait_reply")
    assert "names no payload variable" in str(missing["message"])


def test_unreachable_elements_are_errors_with_their_rule() -> None:
    errors, warnings = findings("lint_unreachable.bpmn")
    assert [(e["rule"], e["element"]) for e in errors] == [
        ("unreachable", "orphan"),
        ("unreachable", "end_orphan"),
    ]
    assert warnings == []


def test_a_flow_that_ends_nowhere_is_a_dead_end_flow_error() -> None:
    errors, _ = findings("lint_dead_end_flow.bpmn")
    assert [(e["rule"], e["element"]) for e in errors] == [("dead-end-flow", "stuck")]


def test_a_form_outside_the_renderers_subset_is_a_form_subset_error() -> None:
    errors, _ = validate_bundle({"lint_form_subset.json": (DATA / "lint_form_subset.json").read_bytes()})
    (error,) = errors
    assert (error["rule"], error["element"], error["file"]) == (
        "form-subset",
        "patternProperties",
        "lint_form_subset.json",
    )


def test_other_deploy_checks_carry_the_deploy_rule() -> None:
    errors, _ = validate_bundle({"x.bpmn": b"<not xml"})
    assert errors and all(e["rule"] == "deploy" for e in errors)


def test_conditions_on_every_value_a_name_can_hold_need_no_default() -> None:
    """The review form offers route as an enum of two: both are covered. A script that may set a third
    value, or a form field without enum, brings the warning back."""
    form = b'{"type": "object", "properties": {"route": {"type": "string", "enum": ["auto", "manual"]}}}'
    diagram = (DATA / "lint_gateway_default.bpmn").read_bytes()
    assert validate_bundle({"g.bpmn": diagram, "lint_review.json": form}) == ([], [])
    other = b'<bpmn:script>route = "later"</bpmn:script>'
    scripted = diagram.replace(
        b'<bpmn:receiveTask id="wait_reply"',
        b'<bpmn:scriptTask id="set_route"><bpmn:incoming>f1</bpmn:incoming>' + other + b"</bpmn:scriptTask>"
        b'<bpmn:receiveTask id="wait_reply"',
    )
    _, warnings = validate_bundle({"g.bpmn": scripted, "lint_review.json": form})
    assert ("gateway-default", "decide") in [(w["rule"], w["element"]) for w in warnings]
    free = form.replace(b', "enum": ["auto", "manual"]', b"")
    _, warnings = validate_bundle({"g.bpmn": diagram, "lint_review.json": free})
    assert [(w["rule"], w["element"]) for w in warnings] == [("gateway-default", "decide")]


def test_the_shipped_processes_break_no_rule() -> None:
    """rma_case's gateways on kind and resolution have no default flow, and need none: the start form's
    enum and the called processes' scripts give every value they can hold, and each has its flow."""
    names = ("*.bpmn", "*.dmn", "*.json")
    files = {
        p.name: p.read_bytes()
        for folder in ("processes", "forms")
        for n in names
        for p in (ROOT / folder).glob(n)
    }
    assert len(files) > 30
    assert validate_bundle(files) == ([], [])
