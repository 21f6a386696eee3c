"""Comparing two versions of a process: processes/return.bpmn and refund_deductions.dmn with
targeted edits, each seen as the change an analyst made, layout alone seen as no change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from rma_orchestrator.engine.bpmn_xml import BPMN_NS
from rma_orchestrator.engine.diagram_diff import (
    DI_NS,
    MAX_FILE_BYTES,
    Detail,
    UnreadableFile,
    VersionDiff,
    diff_versions,
)

PROCESSES = Path(__file__).parents[2] / "processes"
MAIN, TABLE = "return.bpmn", "refund_deductions.dmn"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
B = f"{{{BPMN_NS}}}"
Edit = Callable[[etree._Element], None]


def original() -> dict[str, bytes]:
    return {MAIN: (PROCESSES / MAIN).read_bytes(), TABLE: (PROCESSES / TABLE).read_bytes()}


def edited(name: str, edit: Edit, files: dict[str, bytes] | None = None) -> dict[str, bytes]:
    files = dict(files or original())
    root = etree.fromstring(files[name])
    edit(root)
    files[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return files


def by_id(root: etree._Element, element_id: str) -> etree._Element:
    (found,) = root.xpath("//*[@id=$id]", id=element_id)
    return found


def compare(new: dict[str, bytes], old: dict[str, bytes] | None = None) -> VersionDiff:
    return diff_versions(old or original(), new, MAIN, MAIN)


def changes(diff: VersionDiff) -> dict[str, str]:
    return {e.id: e.change for e in diff.elements}


def details(diff: VersionDiff, element_id: str) -> list[Detail]:
    (element,) = [e for e in diff.elements if e.id == element_id]
    return element.details


def test_the_same_files_have_no_difference() -> None:
    diff = compare(original())
    assert diff == VersionDiff([], [], [], [])


def test_a_renamed_task_is_changed_in_its_name_only() -> None:
    def rename(root: etree._Element) -> None:
        by_id(root, "quality_check").set("name", "质检 Quality check")

    diff = compare(edited(MAIN, rename))
    assert changes(diff) == {"quality_check": "changed"}
    before = "质检确认原因 Quality check: confirm the cause"
    assert details(diff, "quality_check") == [Detail("name", None, before, "质检 Quality check")]
    assert diff.files[0].name == MAIN and diff.files[0].change == "changed"


def test_a_changed_timer_expression_reads_as_the_timer_before_and_after() -> None:
    def shorter_wait(root: etree._Element) -> None:
        by_id(root, "goods_reminder_due").find(f".//{B}timeDuration").text = '"P5D"'

    diff = compare(edited(MAIN, shorter_wait))
    assert details(diff, "goods_reminder_due") == [
        Detail("timer", None, 'timeDuration: "P7D"', 'timeDuration: "P5D"')
    ]
    assert diff.elements[0].type == "boundaryEvent"


def test_a_timer_turned_from_a_duration_into_a_date() -> None:
    def as_date(root: etree._Element) -> None:
        duration = by_id(root, "goods_deadline").find(f".//{B}timeDuration")
        duration.tag = f"{B}timeDate"
        duration.text = "add_working_days(10)"

    (detail,) = details(compare(edited(MAIN, as_date)), "goods_deadline")
    assert (detail.before, detail.after) == ('timeDuration: "P14D"', "timeDate: add_working_days(10)")


def test_an_added_task_with_its_flows() -> None:
    def add_call(root: etree._Element) -> None:
        process = by_id(root, "return")
        flow = by_id(root, "flow_start_to_wait")
        flow.set("targetRef", "call_customer")
        task = etree.SubElement(
            process, f"{B}userTask", id="call_customer", name="电话客户 Call the customer"
        )
        etree.SubElement(task, f"{B}incoming").text = "flow_start_to_wait"
        etree.SubElement(task, f"{B}outgoing").text = "flow_call_to_wait"
        etree.SubElement(
            process,
            f"{B}sequenceFlow",
            id="flow_call_to_wait",
            sourceRef="call_customer",
            targetRef="wait_for_goods",
        )
        lane = by_id(root, "lane_customer_service")
        etree.SubElement(lane, f"{B}flowNodeRef").text = "call_customer"

    diff = compare(edited(MAIN, add_call))
    assert changes(diff) == {
        "call_customer": "added",
        "flow_call_to_wait": "added",
        "flow_start_to_wait": "changed",
    }
    assert details(diff, "flow_start_to_wait") == [Detail("target", None, "wait_for_goods", "call_customer")]
    (added,) = [e for e in diff.elements if e.id == "call_customer"]
    assert (added.type, added.name, added.details) == ("userTask", "电话客户 Call the customer", [])


def test_a_removed_boundary_event_and_its_flow() -> None:
    def drop_notice(root: etree._Element) -> None:
        for element_id in ("goods_shipped_notice", "flow_shipped_to_record"):
            element = by_id(root, element_id)
            element.getparent().remove(element)

    diff = compare(edited(MAIN, drop_notice))
    assert changes(diff)["goods_shipped_notice"] == "removed"
    assert changes(diff)["flow_shipped_to_record"] == "removed"
    (removed,) = [e for e in diff.elements if e.id == "goods_shipped_notice"]
    assert removed.type == "boundaryEvent"


def test_moving_shapes_and_bending_flows_is_no_change_but_counted_as_moved() -> None:
    def move(root: etree._Element) -> None:
        for shape in root.iter(f"{{{DI_NS}}}BPMNShape"):
            if shape.get("bpmnElement") == "quality_check":
                bounds = shape.find(f"{{{DC_NS}}}Bounds")
                bounds.set("x", str(float(bounds.get("x")) + 40))
        for edge in root.iter(f"{{{DI_NS}}}BPMNEdge"):
            if edge.get("bpmnElement") == "flow_start_to_wait":
                edge[0].set("y", str(float(edge[0].get("y")) + 5))

    diff = compare(edited(MAIN, move))
    assert diff.elements == [] and diff.decisions == []
    assert sorted(diff.moved) == ["flow_start_to_wait", "quality_check"]


@pytest.mark.parametrize(
    ("element_id", "edit", "expected"),
    [
        (
            "gateway_refundable",
            lambda e: e.set("default", "flow_gateway_to_refund"),
            Detail("default_flow", None, "flow_gateway_to_ship_back", "flow_gateway_to_refund"),
        ),
        (
            "goods_reminder_due",
            lambda e: e.set("attachedToRef", "record_receipt"),
            Detail("attached_to", None, "wait_for_goods", "record_receipt"),
        ),
        (
            "goods_deadline",
            lambda e: e.set("cancelActivity", "false"),
            Detail("interrupting", None, "true", "false"),
        ),
        (
            "wait_for_goods",
            lambda e: e.set("messageRef", "message_goods_shipped"),
            Detail("message", None, "goods_received", "goods_shipped"),
        ),
    ],
)
def test_attributes_read_as_what_they_mean(element_id: str, edit: Edit, expected: Detail) -> None:
    diff = compare(edited(MAIN, lambda root: edit(by_id(root, element_id))))
    assert details(diff, element_id) == [expected]


def test_condition_script_form_and_sla_properties() -> None:
    def edit(root: etree._Element) -> None:
        condition = root.find(f".//{B}sequenceFlow/{B}conditionExpression")
        condition.text = "quantity_ok == True"
        by_id(root, "record_shipment").find(f"{B}script").text = "inbound_tracking_no = None"
        form = by_id(root, "quality_check").find(".//*[@name='formJsonSchemaFilename']")
        form.set("value", "return_quality_v2.json")
        by_id(root, "processing_deadline").find(".//*[@name='sla']").set("value", "processing_3_working_days")

    diff = compare(edited(MAIN, edit))
    aspects = {(e.id, d.aspect, d.key) for e in diff.elements for d in e.details}
    assert ("record_shipment", "script", None) in aspects
    assert ("quality_check", "property", "formJsonSchemaFilename") in aspects
    sla = [d for d in details(diff, "processing_deadline") if d.key == "sla"]
    assert sla == [Detail("property", "sla", "processing_2_working_days", "processing_3_working_days")]
    assert any(
        d.aspect == "condition" and d.after == "quantity_ok == True" for e in diff.elements for d in e.details
    )


def test_a_task_moved_to_another_lane() -> None:
    def move(root: etree._Element) -> None:
        ref = root.xpath(
            "//bpmn:lane[@id='lane_quality']/bpmn:flowNodeRef[.='quality_check']",
            namespaces={"bpmn": BPMN_NS},
        )[0]
        ref.getparent().remove(ref)
        etree.SubElement(by_id(root, "lane_warehouse"), f"{B}flowNodeRef").text = "quality_check"

    diff = compare(edited(MAIN, move))
    assert details(diff, "quality_check") == [
        Detail("lane", None, "质检 Quality inspection", "仓库收货 Warehouse / receiving")
    ]
    assert changes(diff) == {"quality_check": "changed"}  # the lanes' own facts are their names


def _rule(root: etree._Element, rule_id: str) -> etree._Element:
    return by_id(root, rule_id)


def test_a_changed_rule_cell_shows_the_rule_before_and_after() -> None:
    def cheaper(root: etree._Element) -> None:
        _rule(root, "rule_missing_packaging").findall(f"{{{DMN_NS}}}outputEntry")[3][0].text = "3"

    diff = compare(edited(TABLE, cheaper))
    assert diff.elements == []
    (decision,) = diff.decisions
    assert (decision.file, decision.decision_id, decision.change) == (TABLE, "refund_deductions", "changed")
    (rule,) = decision.rules
    assert (rule.id, rule.change, rule.moved) == ("rule_missing_packaging", "changed", False)
    assert rule.outputs_before is not None and rule.outputs_after is not None
    assert (rule.outputs_before["deduction_percent"], rule.outputs_after["deduction_percent"]) == ("5", "3")
    assert rule.inputs_before == rule.inputs_after
    assert rule.inputs_after is not None and rule.inputs_after["packaging_complete"] == "False"


def test_an_added_rule_and_a_reordered_one() -> None:
    def add_and_move(root: etree._Element) -> None:
        first = _rule(root, "rule_missing_packaging")
        table = first.getparent()
        copy = etree.fromstring(etree.tostring(first))
        copy.set("id", "rule_scratched")
        for entry in copy.iter():
            if entry.get("id"):
                entry.set("id", entry.get("id").replace("rule_missing_packaging", "rule_scratched"))
        table.append(copy)
        table.remove(first)
        table.append(first)  # now the last rule

    (decision,) = compare(edited(TABLE, add_and_move)).decisions
    by_rule = {r.id: r for r in decision.rules}
    assert by_rule["rule_scratched"].change == "added"
    assert by_rule["rule_scratched"].inputs_before is None
    assert by_rule["rule_scratched"].outputs_after is not None
    moved = by_rule["rule_missing_packaging"]
    assert (moved.change, moved.moved, moved.position_before) == ("changed", True, 1)
    assert moved.position_after == len(_rule_ids(edited(TABLE, add_and_move)))
    assert set(by_rule) == {"rule_scratched", "rule_missing_packaging"}


def _rule_ids(files: dict[str, bytes]) -> list[str]:
    return etree.fromstring(files[TABLE]).xpath("//dmn:rule/@id", namespaces={"dmn": DMN_NS})


def test_a_changed_input_column_and_a_removed_rule() -> None:
    def edit(root: etree._Element) -> None:
        by_id(root, "input_unused").set("label", "unused 未使用")
        rule = _rule(root, "rule_missing_packaging")
        rule.getparent().remove(rule)

    (decision,) = compare(edited(TABLE, edit)).decisions
    (column,) = decision.columns
    assert (column.id, column.kind, column.change) == ("input_unused", "input", "changed")
    assert column.after is not None and column.after["label"] == "unused 未使用"
    (rule,) = decision.rules
    assert (rule.id, rule.change, rule.position_after, rule.inputs_after) == (
        "rule_missing_packaging",
        "removed",
        None,
        None,
    )


def test_files_added_and_removed() -> None:
    new = {**original(), "warranty.dmn": (PROCESSES / "warranty.dmn").read_bytes()}
    del new[TABLE]
    diff = compare(new)
    assert [(f.name, f.change) for f in diff.files] == [(TABLE, "removed"), ("warranty.dmn", "added")]
    assert {(d.decision_id, d.change) for d in diff.decisions} == {
        ("refund_deductions", "removed"),
        ("warranty", "added"),
    }


HOSTILE = {
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    ),
    "external entity": (
        b'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        b'<bpmn:process id="p" name="&xxe;"/></bpmn:definitions>'
    ),
    "not xml": b"<bpmn:definitions",
    "not bpmn": b"<html/>",
}
SAYS = {
    "billion laughs": "DOCTYPE",
    "external entity": "DOCTYPE",
    "not xml": "well-formed",
    "not bpmn": "root",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_xml_is_refused_with_the_file_named(kind: str) -> None:
    with pytest.raises(UnreadableFile) as refused:
        compare({**original(), MAIN: HOSTILE[kind]})
    assert refused.value.file == MAIN
    assert SAYS[kind] in refused.value.message


def test_a_hostile_decision_table_is_refused() -> None:
    with pytest.raises(UnreadableFile) as refused:
        compare({**original(), TABLE: HOSTILE["billion laughs"].replace(b"bpmn:", b"")})
    assert refused.value.file == TABLE


def test_a_file_beyond_the_size_limit_is_refused_before_it_is_parsed() -> None:
    padded = original()[MAIN].replace(
        b"</bpmn:definitions>", b"<!--" + b"x" * MAX_FILE_BYTES + b"--></bpmn:definitions>"
    )
    with pytest.raises(UnreadableFile) as refused:
        compare({**original(), MAIN: padded})
    assert "larger than" in refused.value.message
