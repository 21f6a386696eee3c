"""The real RMA procedures (processes/ and forms/) deployed, and start data of a realistic case."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from support import ANALYST

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy

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
    """A case registered now, the goods received ``received_days_ago`` days ago (business time zone)."""
    now = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz))
    received = now - timedelta(days=received_days_ago)
    data: dict[str, Any] = {
        "customer": {"name": "李娜 Li Na", "phone": "13912345678", "email": "li.na@example.cn"},
        "order_no": f"SO-{uuid.uuid4().hex[:10]}",
        "product": {
            "sku": "KETTLE-1",
            "name": "电热水壶 Electric kettle",
            "category": "home_goods",
            "exclusion": "none",
            "price_paid": "199.00",
        },
        "purchased_on": (received - timedelta(days=2)).date().isoformat(),
        "received_at": _seconds(received),
        "reported_at": _seconds(now),
        "kind": kind,
        "reason": reason,
        "description": "水壶不加热。 The kettle does not heat.",
        "condition": {"unused": True, "packaging_complete": True, "accessories_complete": True},
        "channel": "portal",
    }
    data.update(changes)
    return data


def _seconds(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
