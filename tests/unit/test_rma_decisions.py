"""The after-sales decision tables in processes/*.dmn mean what POLICY.md section 2 says.

Each table is called from a minimal BPMN process (start, business rule task, end) loaded with
``load_bundle`` (so the deploy checks run too) and executed by ``runtime.run`` with the sandboxed
script engine, exactly as a deployed process evaluates it. The cases are named for the policy
rule they check, at each boundary and across it (a sweep over the days, hours or repairs either
side), so a row removed or a number changed in a table fails a rule; nothing here restates a
table's cells. Whole cases through the diagrams are in processes/tests/ (the scenarios).
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
def definition(table_file: str) -> ProcessDefinition:
    """The parsed caller of one table: immutable, so parsed once for the whole run."""
    decision_id = TABLES[table_file][0]
    files = {
        f"call_{decision_id}.bpmn": BPMN.format(decision=decision_id).encode(),
        table_file: (PROCESSES / table_file).read_bytes(),
    }
    return load_bundle(files).processes[f"call_{decision_id}"]


def decide(table_file: str, **inputs: Any) -> dict[str, Any]:
    """Run one decision table on ``inputs`` in a workflow; the outputs it set (inputs left out)."""
    workflow = runtime.new_workflow(definition(table_file), inputs, make_script_engine())
    error = runtime.run(workflow)
    assert error is None, error.message
    snapshot = take_snapshot(workflow, [])
    assert snapshot.completed
    return {key: value for key, value in snapshot.data.items() if key not in inputs}


def decision_table(table_file: str) -> Any:
    return (
        etree.parse(str(PROCESSES / table_file))
        .getroot()
        .find(f"{{{DMN_NS}}}decision/{{{DMN_NS}}}decisionTable")
    )


def row_results(table_file: str, output: str) -> list[str]:
    """The ``output`` cell of every row, unquoted: which outcomes the table can give (to check coverage)."""
    table = decision_table(table_file)
    names = [item.get("name") for item in table.iterfind(f"{{{DMN_NS}}}output")]
    column = names.index(output)
    return [
        rule.findall(f"{{{DMN_NS}}}outputEntry")[column].findtext(f"{{{DMN_NS}}}text").strip('"')
        for rule in table.iterfind(f"{{{DMN_NS}}}rule")
    ]


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


# ---- eligibility: who may return or exchange, and who pays the shipping --------------------------------

ELIGIBILITY = "eligibility.dmn"
ALTERNATIVES = "repair, spare parts, technical support"  # POLICY.md 2: offered with every rejection
EXCLUSIONS = ["custom_made", "perishable", "digital_unsealed", "periodical"]
COMPANY_FAULTS = ["quality_on_receipt", "quality_in_use", "wrong_item", "misleading_sales"]
BASE = {
    "kind": "return",
    "reason": "no_reason",
    "exclusion": "none",
    "days_since_receipt": 0,
    "hours_since_receipt": 2.0,
    "in_warranty": True,
    "working_days_since_discovery": None,
    "unused_and_complete": True,
    "has_proof_of_purchase": True,
    "has_evidence": True,
}


def eligibility(**changes: Any) -> dict[str, Any]:
    result = decide(ELIGIBILITY, **{**BASE, **changes})
    assert set(result) == {
        "eligible",
        "decision_code",
        "reason_zh",
        "reason_en",
        "shipping_paid_by",
        "alternatives",
        "missing_documents",
    }
    assert CJK.search(result["reason_zh"]) and not CJK.search(result["reason_en"])  # told in both languages
    assert len(result["reason_en"]) > 30
    return result


def accepted(name: str, code: str, paid_by: str, **changes: Any) -> Any:
    return pytest.param(changes, (True, code, paid_by, ""), id=name)


def rejected(name: str, code: str, **changes: Any) -> Any:
    return pytest.param(changes, (False, code, "none", ALTERNATIVES), id=name)


def missing(name: str, code: str, documents: str, **changes: Any) -> Any:
    """Neither accepted nor refused: the table names the documents customer service asks for."""
    return pytest.param(changes, (False, code, "none", "", documents), id=name)


ELIGIBILITY_RULES = [
    # no reason: 7 calendar days from the day after signing, unused and complete, the customer pays shipping
    accepted("7-day no-reason: signing day", "no_reason_within_7_days", "customer"),
    accepted(
        "7-day no-reason: day 7 is the last day", "no_reason_within_7_days", "customer", days_since_receipt=7
    ),
    rejected("7-day no-reason: day 8 is too late", "no_reason_too_late", days_since_receipt=8),
    rejected("7-day no-reason: used goods", "no_reason_used_or_incomplete", unused_and_complete=False),
    rejected(
        "7-day no-reason: used goods on day 7",
        "no_reason_used_or_incomplete",
        days_since_receipt=7,
        unused_and_complete=False,
    ),
    rejected(
        "7-day no-reason: used and late is late",
        "no_reason_too_late",
        days_since_receipt=8,
        unused_and_complete=False,
    ),
    accepted(
        "7-day no-reason: the warranty does not matter",
        "no_reason_within_7_days",
        "customer",
        days_since_receipt=2,
        in_warranty=False,
    ),
    rejected(
        "7-day no-reason: an unknown exclusion is not covered",
        "not_covered_by_policy",
        exclusion="furniture_set",
    ),
    # never a no-reason return: custom-made, perishable, unsealed digital goods, periodicals ...
    *[
        rejected(f"excluded {kind}: no no-reason return", f"excluded_{kind}", exclusion=kind)
        for kind in EXCLUSIONS
    ],
    *[
        rejected(
            f"excluded {kind}: no no-reason return, late",
            f"excluded_{kind}",
            exclusion=kind,
            days_since_receipt=9,
        )
        for kind in EXCLUSIONS
    ],
    # ... but an exclusion never takes away a company-caused remedy
    *[
        accepted(
            f"excluded {kind}: quality on receipt still accepted",
            "quality_on_receipt_within_48_hours",
            "company",
            reason="quality_on_receipt",
            exclusion=kind,
            hours_since_receipt=10,
        )
        for kind in EXCLUSIONS
    ],
    *[
        accepted(
            f"excluded {kind}: quality in use still accepted",
            "quality_in_use_in_warranty",
            "company",
            reason="quality_in_use",
            exclusion=kind,
            days_since_receipt=200,
            hours_since_receipt=4800,
        )
        for kind in EXCLUSIONS
    ],
    accepted(
        "excluded custom_made: wrong item still accepted",
        "wrong_item_within_3_days",
        "company",
        reason="wrong_item",
        exclusion="custom_made",
    ),
    accepted(
        "excluded perishable: misleading sales still accepted",
        "misleading_sales_within_15_working_days",
        "company",
        reason="misleading_sales",
        exclusion="perishable",
        working_days_since_discovery=3,
    ),
    # quality problem found on receipt: report within 48 hours, the company pays
    accepted(
        "48-hour quality on receipt: at receipt",
        "quality_on_receipt_within_48_hours",
        "company",
        reason="quality_on_receipt",
        hours_since_receipt=0,
    ),
    accepted(
        "48-hour quality on receipt: 48 h is in time",
        "quality_on_receipt_within_48_hours",
        "company",
        reason="quality_on_receipt",
        days_since_receipt=2,
        hours_since_receipt=48,
    ),
    rejected(
        "48-hour quality on receipt: 48.01 h is too late",
        "quality_on_receipt_over_48_hours",
        reason="quality_on_receipt",
        days_since_receipt=2,
        hours_since_receipt=48.01,
    ),
    accepted(
        "48-hour quality on receipt: used goods too",
        "quality_on_receipt_within_48_hours",
        "company",
        reason="quality_on_receipt",
        hours_since_receipt=20,
        unused_and_complete=False,
    ),
    # quality problem in use: inside the warranty period (warranty decision), the company pays
    accepted(
        "quality in use: inside the warranty",
        "quality_in_use_in_warranty",
        "company",
        reason="quality_in_use",
        days_since_receipt=300,
        hours_since_receipt=7200,
        unused_and_complete=False,
    ),
    rejected(
        "quality in use: outside the warranty",
        "quality_in_use_out_of_warranty",
        reason="quality_in_use",
        in_warranty=False,
        days_since_receipt=800,
        hours_since_receipt=19200,
        unused_and_complete=False,
    ),
    # wrong item: 3 days from receipt, as delivered, the company pays
    accepted("3-day wrong item: receipt day", "wrong_item_within_3_days", "company", reason="wrong_item"),
    accepted(
        "3-day wrong item: day 3 is the last day, used or not",
        "wrong_item_within_3_days",
        "company",
        reason="wrong_item",
        days_since_receipt=3,
        unused_and_complete=False,
    ),
    rejected(
        "3-day wrong item: day 4 is too late",
        "wrong_item_too_late",
        reason="wrong_item",
        days_since_receipt=4,
    ),
    # misleading sales claims: 15 working days from discovery, which must be known
    accepted(
        "15-working-day misleading sales: day of discovery",
        "misleading_sales_within_15_working_days",
        "company",
        reason="misleading_sales",
        working_days_since_discovery=0,
    ),
    accepted(
        "15-working-day misleading sales: working day 15 is the last",
        "misleading_sales_within_15_working_days",
        "company",
        reason="misleading_sales",
        days_since_receipt=60,
        working_days_since_discovery=15,
    ),
    rejected(
        "15-working-day misleading sales: working day 16 is too late",
        "misleading_sales_too_late",
        reason="misleading_sales",
        days_since_receipt=60,
        working_days_since_discovery=16,
    ),
    rejected(
        "15-working-day misleading sales: no discovery date, no evidence",
        "misleading_sales_discovery_date_missing",
        reason="misleading_sales",
    ),
    # anything outside these rows is rejected, with the alternatives
    rejected("outside the policy: other reason", "not_covered_by_policy", reason="other"),
    rejected("outside the policy: unknown reason", "not_covered_by_policy", reason="changed_my_mind"),
    # repairs and complaints are decided here too (kind): accepted, a repair outside the warranty quoted
    accepted(
        "repair inside the warranty: free",
        "repair_in_warranty",
        "company",
        kind="repair",
        reason="quality_in_use",
    ),
    accepted(
        "repair outside the warranty: quoted, not refused",
        "repair_out_of_warranty_quote",
        "customer",
        kind="repair",
        reason="quality_in_use",
        in_warranty=False,
        days_since_receipt=800,
    ),
    accepted(
        "repair whatever the reason's return window",
        "repair_in_warranty",
        "company",
        kind="repair",
        reason="quality_on_receipt",
        hours_since_receipt=500.0,
    ),
    accepted("complaint: registered", "complaint_registered", "none", kind="complaint", reason="other"),
    accepted("exchange: the return windows apply", "no_reason_within_7_days", "customer", kind="exchange"),
    # documents: a proof of purchase for every kind, evidence for misleading sales
    missing(
        "repair without proof of purchase",
        "service_request_proof_of_purchase_missing",
        "proof_of_purchase",
        kind="repair",
        has_proof_of_purchase=False,
    ),
    missing(
        "complaint without proof of purchase",
        "service_request_proof_of_purchase_missing",
        "proof_of_purchase",
        kind="complaint",
        reason="other",
        has_proof_of_purchase=False,
    ),
    missing(
        "return without proof of purchase",
        "proof_of_purchase_missing",
        "proof_of_purchase",
        has_proof_of_purchase=False,
    ),
    missing(
        "misleading sales without evidence",
        "evidence_missing",
        "evidence",
        reason="misleading_sales",
        working_days_since_discovery=3,
        has_evidence=False,
    ),
    missing(
        "misleading sales without evidence nor proof",
        "proof_and_evidence_missing",
        "proof_of_purchase, evidence",
        reason="misleading_sales",
        working_days_since_discovery=3,
        has_evidence=False,
        has_proof_of_purchase=False,
    ),
]


@pytest.mark.parametrize(("changes", "expected"), ELIGIBILITY_RULES)
def test_eligibility_rule(changes: dict[str, Any], expected: tuple[Any, ...]) -> None:
    result = eligibility(**changes)
    documents = expected[4] if len(expected) > 4 else ""
    assert (
        result["eligible"],
        result["decision_code"],
        result["shipping_paid_by"],
        result["alternatives"],
        result["missing_documents"],
    ) == (*expected[:4], documents)


@pytest.mark.parametrize(
    ("reason", "window", "measure", "last_day"),
    [
        ("no_reason", "days_since_receipt", range(0, 12), 7),
        ("wrong_item", "days_since_receipt", range(0, 8), 3),
        ("misleading_sales", "working_days_since_discovery", range(0, 20), 15),
    ],
    ids=["7-day no-reason", "3-day wrong item", "15-working-day misleading sales"],
)
def test_a_window_accepts_through_its_last_day_and_refuses_every_day_after(
    reason: str, window: str, measure: range, last_day: int
) -> None:
    decisions = {day: eligibility(reason=reason, **{window: day})["eligible"] for day in measure}
    assert decisions == {day: day <= last_day for day in measure}


def test_quality_on_receipt_is_accepted_up_to_48_hours_and_refused_after() -> None:
    hours = [0, 1, 24, 47, 47.99, 48, 48.01, 49, 72, 200]
    decisions = {
        h: eligibility(reason="quality_on_receipt", hours_since_receipt=h)["eligible"] for h in hours
    }
    assert decisions == {h: h <= 48 for h in hours}


def test_an_unlisted_exclusion_is_not_a_no_reason_return_on_any_day() -> None:
    """Only "none" opens the 7-day window; an exclusion the table does not know is never accepted."""
    codes = {
        day: eligibility(exclusion="furniture_set", days_since_receipt=day)["decision_code"]
        for day in range(10)
    }
    assert codes == {day: "not_covered_by_policy" if day <= 7 else "no_reason_too_late" for day in range(10)}


@pytest.mark.parametrize(
    ("changes", "english", "chinese"),
    [
        pytest.param({"days_since_receipt": 7}, "within 7 days", "7天内", id="7-day no-reason: accepted"),
        pytest.param({"days_since_receipt": 8}, "within 7 days", "7天内", id="7-day no-reason: too late"),
        pytest.param(
            {"reason": "quality_on_receipt", "hours_since_receipt": 48},
            "within 48 hours",
            "48小时内",
            id="48-hour quality on receipt: accepted",
        ),
        pytest.param(
            {"reason": "quality_on_receipt", "hours_since_receipt": 49},
            "within 48 hours",
            "48小时内",
            id="48-hour quality on receipt: too late",
        ),
        pytest.param(
            {"reason": "wrong_item", "days_since_receipt": 3},
            "within 3 days",
            "3天内",
            id="3-day wrong item: accepted",
        ),
        pytest.param(
            {"reason": "wrong_item", "days_since_receipt": 4},
            "within 3 days",
            "3天内",
            id="3-day wrong item: too late",
        ),
        pytest.param(
            {"reason": "misleading_sales", "working_days_since_discovery": 15},
            "within 15 working days",
            "15个工作日内",
            id="15-working-day misleading sales: accepted",
        ),
        pytest.param(
            {"reason": "misleading_sales", "working_days_since_discovery": 16},
            "within 15 working days",
            "15个工作日内",
            id="15-working-day misleading sales: too late",
        ),
    ],
)
def test_the_customer_is_told_the_window_that_decided(
    changes: dict[str, Any], english: str, chinese: str
) -> None:
    result = eligibility(**changes)
    assert english in result["reason_en"] and chinese in result["reason_zh"]


@pytest.mark.parametrize("reason", ["no_reason", *COMPANY_FAULTS])
def test_the_customer_pays_shipping_only_for_a_no_reason_return(reason: str) -> None:
    changes = {"reason": reason, "hours_since_receipt": 1.0, "working_days_since_discovery": 1}
    result = eligibility(**changes)
    assert result["eligible"] and result["shipping_paid_by"] == (
        "customer" if reason == "no_reason" else "company"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"days_since_receipt": 8}, "no_reason_too_late"),
        ({"exclusion": "custom_made"}, "excluded_custom_made"),
        (
            {"reason": "misleading_sales", "working_days_since_discovery": 16, "has_evidence": False},
            "misleading_sales_too_late",
        ),
        ({"reason": "quality_on_receipt", "hours_since_receipt": 49.0}, "quality_on_receipt_over_48_hours"),
        ({"reason": "other"}, "not_covered_by_policy"),
    ],
    ids=[
        "7-day window passed",
        "excluded goods",
        "15-working-day window passed",
        "48 hours passed",
        "outside the policy",
    ],
)
def test_a_request_a_rule_refuses_is_refused_without_asking_for_documents(
    changes: dict[str, Any], code: str
) -> None:
    """Documents are asked for only where they can change the answer."""
    result = eligibility(**{"has_proof_of_purchase": False, **changes})
    assert (result["eligible"], result["decision_code"], result["missing_documents"]) == (False, code, "")


@pytest.mark.parametrize("reason", ["no_reason", "quality_on_receipt", "quality_in_use", "wrong_item"])
def test_evidence_is_needed_for_misleading_sales_only(reason: str) -> None:
    result = eligibility(reason=reason, has_evidence=False)
    assert result["eligible"] and result["missing_documents"] == ""


@pytest.mark.parametrize("kind", ["return", "exchange", "repair", "complaint"])
def test_every_kind_needs_a_proof_of_purchase(kind: str) -> None:
    result = eligibility(kind=kind, reason="quality_in_use", has_proof_of_purchase=False)
    assert not result["eligible"] and result["missing_documents"] == "proof_of_purchase"


def test_every_eligibility_row_is_some_rule_and_has_its_own_code_and_sentences() -> None:
    codes = row_results(ELIGIBILITY, "decision_code")
    assert len(set(codes)) == len(codes)
    assert set(codes) == {param.values[1][1] for param in ELIGIBILITY_RULES}
    for language in ("reason_zh", "reason_en"):  # each decision is explained in its own words
        assert len(set(row_results(ELIGIBILITY, language))) == len(codes)


# ---- warranty: 1 year for electronics, 2 years for home goods, at least 1 year for anything else -------


@pytest.mark.parametrize(
    ("category", "years"),
    [("electronics", 1), ("home_goods", 2), ("other", 1), ("toys", 1)],
    ids=["electronics 1 year", "home goods 2 years", "other 1 year", "a category without a row gets 1 year"],
)
def test_warranty_period_per_category(category: str, years: int) -> None:
    assert decide("warranty.dmn", product={"category": category}) == {"warranty_months": 12 * years}


# ---- repair remedies (three guarantees): most generous first -------------------------------------------

REPAIR = "repair_rules.dmn"


def remedies(days_since_sale: int, in_warranty: bool = True, prior: int = 0, repair_days: int = 0) -> tuple:
    """(the remedies the customer may choose, free of charge, the rule applied)."""
    result = decide(
        REPAIR,
        days_since_sale=days_since_sale,
        in_warranty=in_warranty,
        prior_repairs_in_warranty=prior,
        repair_days=repair_days,
    )
    assert set(result) == {"remedy_options", "free_of_charge", "rule"}
    return frozenset(result["remedy_options"].split(",")), result["free_of_charge"], result["rule"]


ANY_REMEDY = frozenset({"return", "exchange", "repair"})
EXCHANGE_OR_REPAIR = frozenset({"exchange", "repair"})
EXCHANGE_OR_RETURN = frozenset({"exchange", "return"})
REPAIR_RULES = [
    pytest.param((0,), (ANY_REMEDY, True, "fault_within_7_days"), id="7 days: sale day, any remedy"),
    pytest.param((7,), (ANY_REMEDY, True, "fault_within_7_days"), id="7 days: day 7, any remedy"),
    pytest.param(
        (8,), (EXCHANGE_OR_REPAIR, True, "fault_within_15_days"), id="15 days: day 8, exchange or repair"
    ),
    pytest.param(
        (15,), (EXCHANGE_OR_REPAIR, True, "fault_within_15_days"), id="15 days: day 15, exchange or repair"
    ),
    pytest.param((16,), ({"repair"}, True, "in_warranty"), id="in warranty: day 16, free repair"),
    pytest.param((300, True, 1, 30), ({"repair"}, True, "in_warranty"), id="in warranty: 1 repair, 30 days"),
    pytest.param((5, True, 2), (ANY_REMEDY, True, "fault_within_7_days"), id="7 days beats 2 failed repairs"),
    pytest.param(
        (10, True, 2), (EXCHANGE_OR_RETURN, True, "two_failed_repairs"), id="2 failed repairs beat 15 days"
    ),
    pytest.param((200, True, 2), (EXCHANGE_OR_RETURN, True, "two_failed_repairs"), id="2 failed repairs"),
    pytest.param((200, True, 3), (EXCHANGE_OR_RETURN, True, "two_failed_repairs"), id="3 failed repairs"),
    pytest.param(
        (200, True, 2, 45),
        (EXCHANGE_OR_RETURN, True, "two_failed_repairs"),
        id="2 failed repairs beat 30 days",
    ),
    pytest.param((100, True, 0, 31), ({"exchange"}, True, "repair_over_30_days"), id="repair over 30 days"),
    pytest.param(
        (100, True, 1, 31),
        ({"exchange"}, True, "repair_over_30_days"),
        id="repair over 30 days, 1 repair before",
    ),
    pytest.param((400, False), ({"quote"}, False, "out_of_warranty_quote"), id="out of warranty: quote"),
    pytest.param(
        (400, False, 2),
        ({"quote"}, False, "out_of_warranty_quote"),
        id="out of warranty: repairs do not count",
    ),
    pytest.param(
        (400, False, 0, 40), ({"quote"}, False, "out_of_warranty_quote"), id="out of warranty: long repair"
    ),
]


@pytest.mark.parametrize(("inputs", "expected"), REPAIR_RULES)
def test_repair_rule(inputs: tuple, expected: tuple) -> None:
    assert remedies(*inputs) == expected


def test_remedies_narrow_after_7_and_15_days_of_sale() -> None:
    offered = {day: remedies(day)[0] for day in range(0, 22)}
    assert offered == {
        day: ANY_REMEDY if day <= 7 else EXCHANGE_OR_REPAIR if day <= 15 else {"repair"}
        for day in range(0, 22)
    }


def test_a_second_failed_repair_in_warranty_opens_exchange_or_return() -> None:
    offered = {prior: remedies(100, prior=prior)[0] for prior in range(0, 5)}
    assert offered == {prior: EXCHANGE_OR_RETURN if prior >= 2 else {"repair"} for prior in range(0, 5)}


def test_a_repair_over_30_days_is_a_free_exchange() -> None:
    offered = {days: remedies(100, repair_days=days)[:2] for days in range(25, 36)}
    assert offered == {days: ({"exchange"} if days > 30 else {"repair"}, True) for days in range(25, 36)}


def test_every_repair_row_is_some_rule() -> None:
    assert set(row_results(REPAIR, "rule")) == {param.values[1][2] for param in REPAIR_RULES}


@pytest.mark.parametrize(
    ("category", "months", "expected"),
    [
        ("electronics", 11, ({"repair"}, True)),
        ("electronics", 12, ({"quote"}, False)),
        ("home_goods", 12, ({"repair"}, True)),
        ("home_goods", 23, ({"repair"}, True)),
        ("home_goods", 24, ({"quote"}, False)),
        ("toys", 11, ({"repair"}, True)),
        ("toys", 12, ({"quote"}, False)),
    ],
    ids=[
        "electronics month 11: free repair",
        "electronics month 12: quote",
        "home goods month 12: free repair",
        "home goods month 23: free repair",
        "home goods month 24: quote",
        "other month 11: free repair",
        "other month 12: quote",
    ],
)
def test_the_warranty_period_decides_free_repair_or_a_quote(
    category: str, months: int, expected: tuple
) -> None:
    """Both tables as rma_case chains them: in warranty while the months since delivery are fewer."""
    in_warranty = months < decide("warranty.dmn", product={"category": category})["warranty_months"]
    assert remedies(30 * months + 5, in_warranty)[:2] == expected


# ---- refund deductions: customer-caused depreciation, unreturned gifts; itemised ----------------------

DEDUCTIONS = "refund_deductions.dmn"
CUSTOMER_REASONS = ["no_reason", "other"]
INTACT = {"unused": True, "packaging_complete": True, "accessories_complete": True, "gifts_returned": True}


def deductions(reason: str, **changes: bool) -> list[tuple[str, int]]:
    """(code, percent of the price paid) lines, each with a label in both languages."""
    result = decide(DEDUCTIONS, **{**INTACT, **changes, "deduction_reason": reason})
    codes = result.get("deduction_code", [])  # no matching row sets no output at all
    for name in ("deduction_label_zh", "deduction_label_en", "deduction_percent"):
        assert len(result.get(name, [])) == len(codes)
    for zh, en in zip(
        result.get("deduction_label_zh", []), result.get("deduction_label_en", []), strict=True
    ):
        assert CJK.search(zh) and en and not CJK.search(en)
    return list(zip(codes, result.get("deduction_percent", []), strict=True))


@pytest.mark.parametrize("reason", [*CUSTOMER_REASONS, *COMPANY_FAULTS])
def test_intact_goods_are_refunded_in_full(reason: str) -> None:
    assert deductions(reason) == []


@pytest.mark.parametrize("reason", COMPANY_FAULTS)
def test_no_depreciation_is_charged_when_the_company_is_at_fault(reason: str) -> None:
    assert deductions(reason, unused=False, packaging_complete=False, accessories_complete=False) == []


def test_a_refund_granted_in_a_repair_case_charges_no_depreciation_only_unreturned_gifts() -> None:
    worn = {"unused": False, "packaging_complete": False, "accessories_complete": False}
    assert deductions("repair_remedy", **worn) == []
    assert deductions("repair_remedy", **worn, gifts_returned=False) == [("gifts_not_returned", 0)]


DEPRECIATION = [
    pytest.param({"packaging_complete": False}, [("missing_packaging", 5)], id="packaging missing: 5 %"),
    pytest.param(
        {"accessories_complete": False}, [("missing_accessories", 10)], id="accessories missing: 10 %"
    ),
    pytest.param({"unused": False}, [("used", 15)], id="used: 15 %"),
    pytest.param({"gifts_returned": False}, [("gifts_not_returned", 0)], id="gifts kept: their marked price"),
    pytest.param(
        {"packaging_complete": False, "accessories_complete": False},
        [("missing_packaging", 5), ("missing_accessories", 10)],
        id="each shortfall is its own line",
    ),
    pytest.param(
        {"unused": False, "gifts_returned": False},
        [("used", 15), ("gifts_not_returned", 0)],
        id="used and gifts kept",
    ),
    pytest.param(
        {
            "unused": False,
            "packaging_complete": False,
            "accessories_complete": False,
            "gifts_returned": False,
        },
        [("missing_packaging", 5), ("missing_accessories", 10), ("used", 15), ("gifts_not_returned", 0)],
        id="everything, one line each",
    ),
]


@pytest.mark.parametrize("reason", CUSTOMER_REASONS)
@pytest.mark.parametrize(("changes", "lines"), DEPRECIATION)
def test_customer_caused_depreciation_is_itemised(
    reason: str, changes: dict[str, bool], lines: list[tuple[str, int]]
) -> None:
    assert deductions(reason, **changes) == lines


@pytest.mark.parametrize("reason", COMPANY_FAULTS)
def test_unreturned_gifts_are_charged_whatever_the_reason(reason: str) -> None:
    assert deductions(reason, unused=False, gifts_returned=False) == [("gifts_not_returned", 0)]


def test_every_deduction_row_is_some_rule() -> None:
    expected = {code for param in DEPRECIATION for code, _ in param.values[1]}
    assert set(row_results(DEDUCTIONS, "deduction_code")) == expected
