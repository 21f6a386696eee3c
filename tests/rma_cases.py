"""The real RMA procedures (processes/ and forms/) deployed, and start data of a realistic case."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from support import ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.demo import case_data as demo_case

ROOT = Path(__file__).parents[1]


def deploy_rma(services: Services) -> None:
    files = {
        p.name: p.read_bytes()
        for folder in (ROOT / "processes", ROOT / "forms")
        for p in sorted(folder.iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }
    deploy(services, files, ANALYST)


def case_data(
    services: Services,
    kind: str = "return",
    reason: str = "no_reason",
    received_days_ago: float = 2,
    **changes: Any,
) -> dict[str, Any]:
    """The demo's case, registered now, the goods received ``received_days_ago`` days ago, with an
    order number of its own (search tests look for it)."""
    now = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz))
    data = demo_case(now, kind, reason, received_days_ago, order_no=f"SO-{uuid.uuid4().hex[:10]}")
    data.update(changes)
    return data
