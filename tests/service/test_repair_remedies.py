"""Repair-path remedies and refund escalations: a return or exchange granted inside a repair case is the
return or exchange process, called from repair (rma_case -> repair -> return), which deploy resolves two
levels deep; the refund deadlines escalate to the finance lead, then as a legal breach to the manager."""

from __future__ import annotations

from datetime import timedelta

from rma_cases import ROOT, case_data, deploy_rma
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, list_events, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.tasks import complete_task


def _rma_files() -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for folder in (ROOT / "processes", ROOT / "forms")
        for p in sorted(folder.iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }


def test_repair_brings_the_return_and_exchange_processes_with_their_tables_and_forms() -> None:
    processes = load_bundle(_rma_files()).processes
    needed = {
        "return.bpmn",
        "exchange.bpmn",
        "refund_deductions.dmn",
        "return_refund.json",
        "return_legal_breach_escalation.json",
        "exchange_shipment.json",
    }
    assert needed <= processes["repair"].files
    assert needed <= processes["rma_case"].files
    assert {"return", "exchange"} <= set(processes["repair"].subprocess_specs)
    assert "repair_arrange_refund.json" not in processes["repair"].files


def test_a_changed_return_process_versions_repair_and_rma_case_too(services: Services) -> None:
    deploy_rma(services)
    changed = (ROOT / "processes" / "return.bpmn").read_bytes().replace(b"days=15", b"days=14", 1)
    result = deploy(services, {"return.bpmn": changed}, ANALYST)
    assert {(p.process_key, p.version) for p in result.processes} == {
        ("return", 2),
        ("repair", 2),
        ("rma_case", 2),
    }


def _open(services: Services, instance_id: int) -> dict[str, str | None]:
    return {t.element_id: t.group for t in get_instance(services, instance_id, AGENT).tasks}


def test_refund_deadlines_escalate_to_the_finance_lead_then_as_a_legal_breach_to_the_manager(
    services: Services,
) -> None:
    deploy_rma(services)
    now = services.clock.now()
    data = case_data(services, kind="return", reason="wrong_item", eligible=True, decision_code="wrong_item")
    started = start_instance(services, "return", data, AGENT)
    received = {"received_at": now.isoformat(), "received_by": "仓库", "parcel_condition": "intact"}
    deliver_message(services, "goods_received", started.business_key, received, AGENT)
    inspection = {
        "state": "intact",
        "quantity_ok": True,
        "packaging_complete": True,
        "accessories_complete": True,
        "unused": True,
        "gifts_returned": True,
        "photos": ["ATT-1"],
    }
    for element, form in (
        ("inspect_goods", inspection),
        ("quality_check", {"cause": "wrong_item", "confirmed": True}),
    ):
        task = next(t for t in get_instance(services, started.id, AGENT).tasks if t.element_id == element)
        complete_task(services, task.id, form, MANAGER)
    assert _open(services, started.id) == {"pay_refund": "finance"}
    move_clock(services, ADMIN, set_to=(now + timedelta(days=7, minutes=1)).isoformat())
    assert _open(services, started.id) == {"pay_refund": "finance", "escalate_refund": "finance_lead"}
    move_clock(services, ADMIN, set_to=(now + timedelta(days=15, minutes=1)).isoformat())
    assert _open(services, started.id) == {
        "pay_refund": "finance",
        "escalate_refund": "finance_lead",
        "escalate_legal_breach": "after_sales_manager",
    }
    events = list_events(services, started.id, AGENT).items
    assert [e.details["sla"] for e in events if e.kind == "sla_breached"] == [
        "refund_7_days",
        "refund_15_days_legal",
    ]
    assert [(e.element_id, e.details["sla"]) for e in events if e.kind == "legal_breach"] == [
        ("refund_legal_deadline", "refund_15_days_legal")
    ]
