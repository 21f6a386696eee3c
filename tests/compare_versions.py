"""Two versions of the return process for the compare tests: the RMA procedures as in processes/, and a
version 2 with the goods reminder after 5 days instead of 7, the quality check renamed and the
packaging deduction at 3 % instead of 5 %, deployed through the service as an analyst would."""

from __future__ import annotations

from rma_cases import ROOT, deploy_rma
from support import ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy

QUALITY_CHECK_V1 = "质检确认原因 Quality check: confirm the cause"
QUALITY_CHECK_V2 = "质检 Quality check"


def changed_return() -> dict[str, bytes]:
    bpmn = (ROOT / "processes" / "return.bpmn").read_bytes()
    bpmn = bpmn.replace(b'"P7D"', b'"P5D"', 1).replace(
        QUALITY_CHECK_V1.encode(), QUALITY_CHECK_V2.encode(), 1
    )
    dmn = (ROOT / "processes" / "refund_deductions.dmn").read_bytes()
    packaging = b'<outputEntry id="rule_missing_packaging__deduction_percent"><text>5</text>'
    assert packaging in dmn
    dmn = dmn.replace(packaging, packaging.replace(b">5<", b">3<"))
    return {"return.bpmn": bpmn, "refund_deductions.dmn": dmn}


def deploy_two_versions(services: Services) -> None:
    """return v1 from processes/, then v2 with the changes above."""
    deploy_rma(services)
    result = deploy(services, changed_return(), ANALYST)
    assert ("return", 2, True) in [(p.process_key, p.version, p.created) for p in result.processes]


def reshaped_return() -> dict[str, bytes]:
    """``changed_return`` with the script task record_shipment replaced by note_shipment in its place:
    one element removed, one added, and the two flows around it changed (their source or target)."""
    files = changed_return()
    assert files["return.bpmn"].count(b"record_shipment") >= 4
    return {**files, "return.bpmn": files["return.bpmn"].replace(b"record_shipment", b"note_shipment")}
