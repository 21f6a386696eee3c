"""The return procedure deployed as version 1 and changed versions of it, and a return case that
waits for the customer's parcel: what the case migration tests move from one version to another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree
from rma_cases import ROOT, deploy_rma
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.service.clock import set_clock_while_unused
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import InstanceDetail, InstanceInfo
from rma_orchestrator.service.tasks import complete_task

START = datetime.fromisoformat("2026-05-11T09:00:00+08:00")
RETURN_FILE = ROOT / "processes" / "return.bpmn"
# The elements of the day-7 reminder branch: a version without them has no reminder at all
REMINDER_BRANCH = {
    "goods_reminder_due",
    "timer_goods_reminder_due",
    "remind_customer",
    "end_reminder_sent",
    "flow_reminder_to_remind",
    "flow_remind_to_end",
}
RETURN_DATA: dict[str, Any] = {
    "customer": {"name": "陈静", "phone": "13700002222", "email": "chen.jing@example.cn"},
    "product": {
        "sku": "MUG-4",
        "name": "马克杯 Mug",
        "category": "other",
        "exclusion": "none",
        "price_paid": "199.00",
    },
    "purchased_on": "2026-05-08",
    "received_at": "2026-05-10T12:00:00+08:00",
    "kind": "return",
    "reason": "no_reason",
    "description": "颜色不喜欢。 Does not like the colour.",
    "condition": {"unused": True, "packaging_complete": True, "accessories_complete": True},
    "channel": "chat",
    "eligible": True,
    "decision_code": "no_reason",
}


def deploy_version_1(services: Services) -> None:
    """Every RMA procedure, at the controlled clock's start (return and its callers: version 1)."""
    set_clock_while_unused(services, ADMIN, START)
    deploy_rma(services)


def reminder_after(days: int) -> bytes:
    """return.bpmn with the goods-wait reminder after ``days`` days instead of 7."""
    text = RETURN_FILE.read_bytes()
    assert text.count(b'"P7D"') == 1
    return text.replace(b'"P7D"', f'"P{days}D"'.encode())


def without_reminder() -> bytes:
    """return.bpmn without the day-7 reminder branch (its boundary timer, script, end and flows)."""
    root = etree.fromstring(RETURN_FILE.read_bytes())
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        named = element.get("id") in REMINDER_BRANCH or element.get("bpmnElement") in REMINDER_BRANCH
        referred = tag in ("flowNodeRef", "incoming", "outgoing") and element.text in REMINDER_BRANCH
        if named or referred:
            parent = element.getparent()
            assert parent is not None
            parent.remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def deploy_return(services: Services, content: bytes) -> int:
    """Deploy a changed return.bpmn; the new version of return."""
    result = deploy(services, {"return.bpmn": content}, ANALYST)
    return next(p.version for p in result.processes if p.process_key == "return")


def start_return(services: Services, order_no: str) -> InstanceInfo:
    """A return case: it waits for the parcel, with its reminder and deadline timers."""
    return start_instance(services, "return", {**RETURN_DATA, "order_no": order_no}, AGENT)


def finish_with_refund(services: Services, case: InstanceInfo) -> InstanceDetail:
    """The parcel arrives, is inspected and checked, the refund is paid: the case completes."""
    now = services.clock.now().isoformat()
    payload = {"received_at": now, "received_by": "仓库-张伟", "parcel_condition": "intact"}
    deliver_message(services, "goods_received", case.business_key, payload, AGENT)
    answers: dict[str, dict[str, Any]] = {
        "inspect_goods": {
            "state": "intact",
            "quantity_ok": True,
            "packaging_complete": True,
            "accessories_complete": True,
            "unused": True,
            "gifts_returned": True,
            "photos": ["ATT-MUG-4"],
        },
        "quality_check": {"cause": "no_fault", "confirmed": True},
        "pay_refund": {"paid": True, "payment_reference": "ALIPAY-RF-0004", "paid_at": now},
    }
    for element, data in answers.items():
        tasks = [t for t in get_instance(services, case.id, ADMIN).tasks if t.element_id == element]
        assert tasks, f"no open {element} task"
        complete_task(services, tasks[0].id, data, ADMIN)
    return get_instance(services, case.id, ADMIN)
