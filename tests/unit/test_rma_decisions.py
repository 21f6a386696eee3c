"""The after-sales decision tables in processes/*.dmn, run through the real parser, engine and sandbox.

Each table is called from a minimal BPMN process (start, business rule task, end) loaded with
``load_bundle`` (so the deploy checks run too) and executed by ``runtime.run`` with the sandboxed
script engine, exactly as a deployed process would evaluate it. The cases pin the edges of
POLICY.md section 2; ``test_*_table_cells`` pin every row's cells, so removing a row or changing a
number in a cell fails a test even when no edge case happens to cross it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from rma_orchestrator.engine import runtime
from rma_orchestrator.engine.bundle import ProcessDefinition, load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine
from rma_orchestrator.engine.snapshot import take as take_snapshot

PROCESSES = Path(__file__).parents[2] / "processes"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
TABLES = {
    "eligibility.dmn": ("eligibility", "FIRST"),
    "warranty.dmn": ("warranty", "UNIQUE"),
    "repair_rules.dmn": ("repair_rules", "FIRST"),
    "refund_deductions.dmn": ("refund_deductions", "COLLECT"),
}
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="definitions_call_{decision}" targetNamespace="http://example.org/call_{decision}">
  <bpmn:process id="call_{decision}" name="Call {decision}" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:outgoing>to_decide</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:businessRuleTask id="decide" name="Decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>to_decide</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end">
      <bpmn:incoming>to_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="to_decide" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def definition(table_file: str, decision_id: str) -> ProcessDefinition:
    files = {
        f"call_{decision_id}.bpmn": BPMN.format(decision=decision_id).encode(),
        table_file: (PROCESSES / table_file).read_bytes(),
    }
    return load_bundle(files).processes[f"call_{decision_id}"]


def decide(table_file: str, decision_id: str, **inputs: Any) -> dict[str, Any]:
    """Run one decision table on ``inputs`` in a workflow; the outputs it set (inputs left out)."""
    workflow = runtime.new_workflow(definition(table_file, decision_id), inputs, make_script_engine())
    error = runtime.run(workflow)
    assert error is None, error.message
    snapshot = take_snapshot(workflow, [])
    assert snapshot.completed
    return {key: value for key, value in snapshot.data.items() if key not in inputs}


def table_rows(table_file: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(rule id, {input: cell} without the "-" cells, {output: cell}) of every row, in table order."""
    root = etree.parse(str(PROCESSES / table_file)).getroot()
    table = root.find(f"{{{DMN_NS}}}decision/{{{DMN_NS}}}decisionTable")
    inputs = [
        item.findtext(f"{{{DMN_NS}}}inputExpression/{{{DMN_NS}}}text")
        for item in table.iterfind(f"{{{DMN_NS}}}input")
    ]
    outputs = [item.get("name") for item in table.iterfind(f"{{{DMN_NS}}}output")]
    rows = []
    for rule in table.iterfind(f"{{{DMN_NS}}}rule"):
        cells = [entry.findtext(f"{{{DMN_NS}}}text") for entry in rule.iterfind(f"{{{DMN_NS}}}inputEntry")]
        results = [entry.findtext(f"{{{DMN_NS}}}text") for entry in rule.iterfind(f"{{{DMN_NS}}}outputEntry")]
        conditions = {name: cell for name, cell in zip(inputs, cells, strict=True) if cell != "-"}
        rows.append((rule.get("id"), conditions, dict(zip(outputs, results, strict=True))))
    return rows


# ---- the files themselves ---------------------------------------------------------------------------


def test_all_tables_pass_the_deploy_checks_together() -> None:
    files = {name: (PROCESSES / name).read_bytes() for name in TABLES}
    for decision_id, _ in TABLES.values():
        files[f"call_{decision_id}.bpmn"] = BPMN.format(decision=decision_id).encode()
    bundle = load_bundle(files)
    assert set(bundle.processes) == {f"call_{decision_id}" for decision_id, _ in TABLES.values()}


@pytest.mark.parametrize(("table_file", "decision_id", "hit_policy"), [(f, *v) for f, v in TABLES.items()])
def test_one_decision_per_file_with_its_hit_policy(
    table_file: str, decision_id: str, hit_policy: str
) -> None:
    root = etree.parse(str(PROCESSES / table_file)).getroot()
    assert root.tag == f"{{{DMN_NS}}}definitions"
    decisions = root.findall(f"{{{DMN_NS}}}decision")
    assert [d.get("id") for d in decisions] == [decision_id]
    assert decisions[0].findtext(f"{{{DMN_NS}}}description").strip()
    table = decisions[0].find(f"{{{DMN_NS}}}decisionTable")
    assert table.get("hitPolicy") == hit_policy and table.get("aggregation") is None
    for item in table.iterfind(f"{{{DMN_NS}}}input"):  # every input documents its meaning
        assert len(item.get("label")) > 20 and item.findtext(f"{{{DMN_NS}}}description")
    for rule in table.iterfind(f"{{{DMN_NS}}}rule"):  # every row says where it comes from
        assert rule.findtext(f"{{{DMN_NS}}}description")


# ---- eligibility ------------------------------------------------------------------------------------

ELIGIBILITY = "eligibility.dmn"
ALTERNATIVES = "repair, spare parts, technical support"
ELIGIBILITY_OUTPUTS = {
    "eligible",
    "decision_code",
    "reason_zh",
    "reason_en",
    "shipping_paid_by",
    "alternatives",
}
EXCLUSIONS = ["custom_made", "perishable", "digital_unsealed", "periodical"]
# decision code -> (eligible, shipping_paid_by); every rejection offers ALTERNATIVES, an acceptance none.
CODES = {
    "excluded_custom_made": (False, "none"),
    "excluded_perishable": (False, "none"),
    "excluded_digital_unsealed": (False, "none"),
    "excluded_periodical": (False, "none"),
    "no_reason_within_7_days": (True, "customer"),
    "no_reason_used_or_incomplete": (False, "none"),
    "no_reason_too_late": (False, "none"),
    "quality_on_receipt_within_48_hours": (True, "company"),
    "quality_on_receipt_over_48_hours": (False, "none"),
    "quality_in_use_in_warranty": (True, "company"),
    "quality_in_use_out_of_warranty": (False, "none"),
    "wrong_item_within_3_days": (True, "company"),
    "wrong_item_too_late": (False, "none"),
    "misleading_sales_discovery_date_missing": (False, "none"),
    "misleading_sales_within_15_working_days": (True, "company"),
    "misleading_sales_too_late": (False, "none"),
    "not_covered_by_policy": (False, "none"),
}
BASE = {
    "reason": "no_reason",
    "exclusion": "none",
    "days_since_receipt": 0,
    "hours_since_receipt": 2.0,
    "in_warranty": True,
    "working_days_since_discovery": None,
    "unused_and_complete": True,
}


def case(name: str, code: str, **changes: Any) -> Any:
    return pytest.param({**BASE, **changes}, code, id=name)


ELIGIBILITY_CASES = [
    # no reason: 7 calendar days from the day after signing, unused and complete, customer pays
    case("no-reason receipt day", "no_reason_within_7_days", days_since_receipt=0),
    case("no-reason day 1", "no_reason_within_7_days", days_since_receipt=1, hours_since_receipt=30),
    case(
        "no-reason day 7 accepted", "no_reason_within_7_days", days_since_receipt=7, hours_since_receipt=180
    ),
    case("no-reason day 8 rejected", "no_reason_too_late", days_since_receipt=8, hours_since_receipt=200),
    case("no-reason day 30", "no_reason_too_late", days_since_receipt=30),
    case("no-reason used", "no_reason_used_or_incomplete", days_since_receipt=3, unused_and_complete=False),
    case(
        "no-reason used day 7",
        "no_reason_used_or_incomplete",
        days_since_receipt=7,
        unused_and_complete=False,
    ),
    case("no-reason used and late", "no_reason_too_late", days_since_receipt=8, unused_and_complete=False),
    case("no-reason out of warranty", "no_reason_within_7_days", days_since_receipt=2, in_warranty=False),
    case("no-reason unknown exclusion", "not_covered_by_policy", exclusion="furniture_set"),
    # exclusions block a no-reason return whatever the day and condition ...
    *[case(f"{kind} no-reason", f"excluded_{kind}", exclusion=kind) for kind in EXCLUSIONS],
    *[
        case(f"{kind} no-reason late", f"excluded_{kind}", exclusion=kind, days_since_receipt=9)
        for kind in EXCLUSIONS
    ],
    # ... but not a quality, wrong-item or misleading-sales request
    *[
        case(
            f"{kind} quality on receipt",
            "quality_on_receipt_within_48_hours",
            reason="quality_on_receipt",
            exclusion=kind,
            hours_since_receipt=10,
        )
        for kind in EXCLUSIONS
    ],
    *[
        case(
            f"{kind} quality in use",
            "quality_in_use_in_warranty",
            reason="quality_in_use",
            exclusion=kind,
            days_since_receipt=200,
            hours_since_receipt=4800,
        )
        for kind in EXCLUSIONS
    ],
    case("custom-made wrong item", "wrong_item_within_3_days", reason="wrong_item", exclusion="custom_made"),
    case(
        "perishable misleading",
        "misleading_sales_within_15_working_days",
        reason="misleading_sales",
        exclusion="perishable",
        working_days_since_discovery=3,
    ),
    # quality problem on receipt: 48 hours, inclusive
    case(
        "on receipt 0 h",
        "quality_on_receipt_within_48_hours",
        reason="quality_on_receipt",
        hours_since_receipt=0,
    ),
    case(
        "on receipt 47 h accepted",
        "quality_on_receipt_within_48_hours",
        reason="quality_on_receipt",
        days_since_receipt=1,
        hours_since_receipt=47,
    ),
    case(
        "on receipt 48 h accepted",
        "quality_on_receipt_within_48_hours",
        reason="quality_on_receipt",
        days_since_receipt=2,
        hours_since_receipt=48,
    ),
    case(
        "on receipt 48.01 h refused",
        "quality_on_receipt_over_48_hours",
        reason="quality_on_receipt",
        days_since_receipt=2,
        hours_since_receipt=48.01,
    ),
    case(
        "on receipt 49 h refused",
        "quality_on_receipt_over_48_hours",
        reason="quality_on_receipt",
        days_since_receipt=2,
        hours_since_receipt=49,
    ),
    case(
        "on receipt used goods",
        "quality_on_receipt_within_48_hours",
        reason="quality_on_receipt",
        hours_since_receipt=20,
        unused_and_complete=False,
    ),
    # quality problem in use: inside the warranty or not
    case(
        "in use in warranty",
        "quality_in_use_in_warranty",
        reason="quality_in_use",
        days_since_receipt=300,
        hours_since_receipt=7200,
        unused_and_complete=False,
    ),
    case(
        "in use out of warranty",
        "quality_in_use_out_of_warranty",
        reason="quality_in_use",
        in_warranty=False,
        days_since_receipt=800,
        hours_since_receipt=19200,
        unused_and_complete=False,
    ),
    # wrong item: 3 days from receipt
    case("wrong item day 0", "wrong_item_within_3_days", reason="wrong_item"),
    case(
        "wrong item day 3 accepted",
        "wrong_item_within_3_days",
        reason="wrong_item",
        days_since_receipt=3,
        hours_since_receipt=90,
        unused_and_complete=False,
    ),
    case(
        "wrong item day 4 rejected",
        "wrong_item_too_late",
        reason="wrong_item",
        days_since_receipt=4,
        hours_since_receipt=100,
    ),
    # misleading sales claims: 15 working days from discovery, evidence required
    case(
        "misleading 0 working days",
        "misleading_sales_within_15_working_days",
        reason="misleading_sales",
        working_days_since_discovery=0,
    ),
    case(
        "misleading 15 working days accepted",
        "misleading_sales_within_15_working_days",
        reason="misleading_sales",
        days_since_receipt=60,
        working_days_since_discovery=15,
    ),
    case(
        "misleading 16 working days rejected",
        "misleading_sales_too_late",
        reason="misleading_sales",
        days_since_receipt=60,
        working_days_since_discovery=16,
    ),
    case(
        "misleading no discovery date", "misleading_sales_discovery_date_missing", reason="misleading_sales"
    ),
    # everything else
    case("other reason", "not_covered_by_policy", reason="other"),
    case("unknown reason", "not_covered_by_policy", reason="changed_my_mind"),
]


@pytest.mark.parametrize(("inputs", "code"), ELIGIBILITY_CASES)
def test_eligibility(inputs: dict[str, Any], code: str) -> None:
    result = decide(ELIGIBILITY, "eligibility", **inputs)
    assert set(result) == ELIGIBILITY_OUTPUTS
    eligible, shipping = CODES[code]
    assert (result["decision_code"], result["eligible"], result["shipping_paid_by"]) == (
        code,
        eligible,
        shipping,
    )
    assert result["alternatives"] == ("" if eligible else ALTERNATIVES)
    assert CJK.search(result["reason_zh"]) and not CJK.search(result["reason_en"])
    assert len(result["reason_en"]) > 30


def test_every_eligibility_row_has_a_case_and_a_distinct_code() -> None:
    row_codes = [outputs["decision_code"].strip('"') for _, _, outputs in table_rows(ELIGIBILITY)]
    assert len(set(row_codes)) == len(row_codes)
    assert set(row_codes) == set(CODES) == {param.values[1] for param in ELIGIBILITY_CASES}


def test_eligibility_sentences_differ_per_row() -> None:
    rows = table_rows(ELIGIBILITY)
    for language in ("reason_zh", "reason_en"):
        assert len({outputs[language] for _, _, outputs in rows}) == len(rows)


ELIGIBILITY_ROWS = [  # every row in order: decision code, the cells that are not "-"
    ("excluded_custom_made", {"reason": '"no_reason"', "exclusion": '"custom_made"'}),
    ("excluded_perishable", {"reason": '"no_reason"', "exclusion": '"perishable"'}),
    ("excluded_digital_unsealed", {"reason": '"no_reason"', "exclusion": '"digital_unsealed"'}),
    ("excluded_periodical", {"reason": '"no_reason"', "exclusion": '"periodical"'}),
    (
        "no_reason_within_7_days",
        {
            "reason": '"no_reason"',
            "exclusion": '"none"',
            "days_since_receipt": "<= 7",
            "unused_and_complete": "True",
        },
    ),
    (
        "no_reason_used_or_incomplete",
        {"reason": '"no_reason"', "days_since_receipt": "<= 7", "unused_and_complete": "False"},
    ),
    ("no_reason_too_late", {"reason": '"no_reason"', "days_since_receipt": "> 7"}),
    (
        "quality_on_receipt_within_48_hours",
        {"reason": '"quality_on_receipt"', "hours_since_receipt": "<= 48"},
    ),
    ("quality_on_receipt_over_48_hours", {"reason": '"quality_on_receipt"', "hours_since_receipt": "> 48"}),
    ("quality_in_use_in_warranty", {"reason": '"quality_in_use"', "in_warranty": "True"}),
    ("quality_in_use_out_of_warranty", {"reason": '"quality_in_use"', "in_warranty": "False"}),
    ("wrong_item_within_3_days", {"reason": '"wrong_item"', "days_since_receipt": "<= 3"}),
    ("wrong_item_too_late", {"reason": '"wrong_item"', "days_since_receipt": "> 3"}),
    (
        "misleading_sales_discovery_date_missing",
        {"reason": '"misleading_sales"', "working_days_since_discovery": "? is None"},
    ),
    (
        "misleading_sales_within_15_working_days",
        {"reason": '"misleading_sales"', "working_days_since_discovery": "? is not None and ? <= 15"},
    ),
    (
        "misleading_sales_too_late",
        {"reason": '"misleading_sales"', "working_days_since_discovery": "? is not None and ? > 15"},
    ),
    ("not_covered_by_policy", {}),
]


def test_eligibility_table_cells() -> None:
    """Every row of eligibility.dmn in order: its conditions, eligible, shipping and alternatives cells."""
    expected = []
    for code, conditions in ELIGIBILITY_ROWS:
        eligible, shipping = CODES[code]
        outputs = (str(eligible), f'"{shipping}"', '""' if eligible else f'"{ALTERNATIVES}"')
        expected.append((f"rule_{code}", f'"{code}"', conditions, outputs))
    actual = [
        (
            rule_id,
            out["decision_code"],
            conditions,
            (out["eligible"], out["shipping_paid_by"], out["alternatives"]),
        )
        for rule_id, conditions, out in table_rows(ELIGIBILITY)
    ]
    assert actual == expected


# ---- warranty ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "months"),
    [("electronics", 12), ("home_goods", 24), ("other", 12), ("toys", 12)],
    ids=["electronics 1 year", "home goods 2 years", "other 1 year", "unlisted category 1 year"],
)
def test_warranty_months(category: str, months: int) -> None:
    assert decide("warranty.dmn", "warranty", category=category) == {"warranty_months": months}


def test_warranty_table_cells() -> None:
    assert [(rule_id, cells, out) for rule_id, cells, out in table_rows("warranty.dmn")] == [
        ("rule_warranty_electronics", {"category": '"electronics"'}, {"warranty_months": "12"}),
        ("rule_warranty_home_goods", {"category": '"home_goods"'}, {"warranty_months": "24"}),
        (
            "rule_warranty_other",
            {"category": '? not in ("electronics", "home_goods")'},
            {"warranty_months": "12"},
        ),
    ]


# ---- repair rules (three guarantees) -------------------------------------------------------------------

REMEDIES = {
    "fault_within_7_days": ("return,exchange,repair", True),
    "two_failed_repairs": ("exchange,return", True),
    "repair_over_30_days": ("exchange", True),
    "fault_within_15_days": ("exchange,repair", True),
    "in_warranty": ("repair", True),
    "out_of_warranty_quote": ("quote", False),
}


def repair(
    name: str, rule: str, days: int, warranty: bool = True, prior: int = 0, repair_days: int = 0
) -> Any:
    inputs = {
        "days_since_sale": days,
        "in_warranty": warranty,
        "prior_repairs_in_warranty": prior,
        "repair_days": repair_days,
    }
    return pytest.param(inputs, rule, id=name)


REPAIR_CASES = [
    repair("sale day", "fault_within_7_days", 0),
    repair("day 7: return, exchange or repair", "fault_within_7_days", 7),
    repair("day 8: exchange or repair", "fault_within_15_days", 8),
    repair("day 15: exchange or repair", "fault_within_15_days", 15),
    repair("day 16: free repair", "in_warranty", 16),
    repair("day 300: free repair", "in_warranty", 300, prior=1, repair_days=30),
    repair("day 5 with 2 repairs keeps every remedy", "fault_within_7_days", 5, prior=2),
    repair("day 10 with 2 repairs: exchange or return", "two_failed_repairs", 10, prior=2),
    repair("2 failed repairs", "two_failed_repairs", 200, prior=2),
    repair("3 failed repairs", "two_failed_repairs", 200, prior=3),
    repair("2 failed repairs beats 30 days", "two_failed_repairs", 200, prior=2, repair_days=45),
    repair("repair 30 days is not over", "in_warranty", 100, repair_days=30),
    repair("repair 31 days: free exchange", "repair_over_30_days", 100, repair_days=31),
    repair("repair 31 days, 1 earlier repair", "repair_over_30_days", 100, prior=1, repair_days=31),
    repair("out of warranty", "out_of_warranty_quote", 400, warranty=False),
    repair("out of warranty after 2 repairs", "out_of_warranty_quote", 400, warranty=False, prior=2),
    repair("out of warranty, long repair", "out_of_warranty_quote", 400, warranty=False, repair_days=40),
]


@pytest.mark.parametrize(("inputs", "rule"), REPAIR_CASES)
def test_repair_rules(inputs: dict[str, Any], rule: str) -> None:
    options, free = REMEDIES[rule]
    expected = {"remedy_options": options, "free_of_charge": free, "rule": rule}
    assert decide("repair_rules.dmn", "repair_rules", **inputs) == expected


def test_every_repair_row_has_a_case() -> None:
    rows = [out["rule"].strip('"') for _, _, out in table_rows("repair_rules.dmn")]
    assert rows == list(REMEDIES)
    assert {param.values[1] for param in REPAIR_CASES} == set(REMEDIES)


def test_repair_table_cells() -> None:
    expected = [
        ("fault_within_7_days", {"days_since_sale": "<= 7"}),
        ("two_failed_repairs", {"in_warranty": "True", "prior_repairs_in_warranty": ">= 2"}),
        ("repair_over_30_days", {"in_warranty": "True", "repair_days": "> 30"}),
        ("fault_within_15_days", {"days_since_sale": "<= 15"}),
        ("in_warranty", {"in_warranty": "True"}),
        ("out_of_warranty_quote", {}),
    ]
    actual = [
        (rule_id, conditions, (out["remedy_options"], out["free_of_charge"], out["rule"]))
        for rule_id, conditions, out in table_rows("repair_rules.dmn")
    ]
    assert actual == [
        (f"rule_{rule}", conditions, (f'"{REMEDIES[rule][0]}"', str(REMEDIES[rule][1]), f'"{rule}"'))
        for rule, conditions in expected
    ]


# ---- refund deductions ------------------------------------------------------------------------------

COMPANY_FAULTS = ["quality_on_receipt", "quality_in_use", "wrong_item", "misleading_sales"]
ALL_REASONS = ["no_reason", "other", *COMPANY_FAULTS]
INTACT = {"unused": True, "packaging_complete": True, "accessories_complete": True, "gifts_returned": True}


def deductions(reason: str, **changes: bool) -> list[tuple[str, int]]:
    """(code, percent) lines of refund_deductions; the labels are checked to line up with them."""
    result = decide("refund_deductions.dmn", "refund_deductions", **{**INTACT, **changes, "reason": reason})
    codes = result.get("deduction_code", [])  # no matching row sets no output at all
    for name in ("deduction_label_zh", "deduction_label_en", "deduction_percent"):
        assert len(result.get(name, [])) == len(codes)
    for zh, en in zip(
        result.get("deduction_label_zh", []), result.get("deduction_label_en", []), strict=True
    ):
        assert CJK.search(zh) and en and not CJK.search(en)
    return list(zip(codes, result.get("deduction_percent", []), strict=True))


@pytest.mark.parametrize("reason", ALL_REASONS)
def test_no_deduction_for_intact_goods(reason: str) -> None:
    assert deductions(reason) == []


@pytest.mark.parametrize("reason", COMPANY_FAULTS)
def test_no_depreciation_for_company_faults(reason: str) -> None:
    assert deductions(reason, unused=False, packaging_complete=False, accessories_complete=False) == []


@pytest.mark.parametrize("reason", ["no_reason", "other"])
@pytest.mark.parametrize(
    ("changes", "lines"),
    [
        ({"packaging_complete": False}, [("missing_packaging", 5)]),
        ({"accessories_complete": False}, [("missing_accessories", 10)]),
        ({"unused": False}, [("used", 15)]),
        ({"gifts_returned": False}, [("gifts_not_returned", 0)]),
        (
            {"packaging_complete": False, "accessories_complete": False},
            [("missing_packaging", 5), ("missing_accessories", 10)],
        ),
        (
            {"unused": False, "gifts_returned": False},
            [("used", 15), ("gifts_not_returned", 0)],
        ),
        (
            {
                "unused": False,
                "packaging_complete": False,
                "accessories_complete": False,
                "gifts_returned": False,
            },
            [("missing_packaging", 5), ("missing_accessories", 10), ("used", 15), ("gifts_not_returned", 0)],
        ),
    ],
    ids=["packaging", "accessories", "used", "gifts", "packaging+accessories", "used+gifts", "everything"],
)
def test_itemised_deductions_for_customer_reasons(
    reason: str, changes: dict[str, bool], lines: list[tuple[str, int]]
) -> None:
    assert deductions(reason, **changes) == lines


@pytest.mark.parametrize("reason", COMPANY_FAULTS)
def test_unreturned_gifts_are_charged_whatever_the_reason(reason: str) -> None:
    assert deductions(reason, unused=False, gifts_returned=False) == [("gifts_not_returned", 0)]


def test_deduction_table_cells() -> None:
    customer = '? in ("no_reason", "other")'
    expected = [
        (
            "rule_missing_packaging",
            {"packaging_complete": "False", "reason": customer},
            "missing_packaging",
            "5",
        ),
        (
            "rule_missing_accessories",
            {"accessories_complete": "False", "reason": customer},
            "missing_accessories",
            "10",
        ),
        ("rule_used", {"unused": "False", "reason": customer}, "used", "15"),
        ("rule_gifts_not_returned", {"gifts_returned": "False"}, "gifts_not_returned", "0"),
    ]
    actual = [
        (rule_id, cells, out["deduction_code"].strip('"'), out["deduction_percent"])
        for rule_id, cells, out in table_rows("refund_deductions.dmn")
    ]
    assert actual == expected
