"""The product test process (tests/data/products): a case whose task appends entries to case_records."""

from __future__ import annotations

from typing import Any

from support import AGENT, ANALYST, DATA, MANAGER

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceDetail
from rma_orchestrator.service.tasks import complete_task

PRODUCTS = DATA / "products"


def deploy_product_case(services: Services) -> Services:
    deploy(services, {p.name: p.read_bytes() for p in sorted(PRODUCTS.iterdir())}, ANALYST)
    return services


def start_product_case(services: Services, serial_no: str | None = "SN-1", **data: Any) -> int:
    product = {"sku": "AP-300", "name": "空气净化器 Air purifier", "category": "home_goods"}
    if serial_no is not None:
        product["serial_no"] = serial_no
    return start_instance(services, "product_case", {"product": product, "kind": "repair", **data}, AGENT).id


def add_records(
    services: Services, instance_id: int, *records: dict[str, Any], done: bool = False, **data: Any
) -> InstanceDetail:
    """Complete the open ``add_records`` task: its script appends ``records`` to ``case_records``."""
    (task,) = [t for t in get_instance(services, instance_id, MANAGER).tasks if t.element_id == "add_records"]
    complete_task(services, task.id, {"new_records": list(records), "done": done, **data}, AGENT)
    return get_instance(services, instance_id, MANAGER)


def repair(
    serial_no: str = "SN-1", started_on: str = "2026-01-01", ended_on: str = "2026-01-21", **more: Any
) -> dict[str, Any]:
    entry = {"type": "repair", "serial_no": serial_no, "started_on": started_on, "ended_on": ended_on}
    return {**entry, "days": 20, "in_warranty": True, "fixed": False, **more}
