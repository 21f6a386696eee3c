"""Three parcel cases on the small diagrams of tests/data/heatmap (a timer, a message catch, a call
activity whose called process holds a user task), for the SLA heatmap's tests: each waits 2 hours at
the timer, then for its parcel; A's parcel comes 1 hour later, B's 3 hours later, C's never; then A
and B check their parcel in the called process: A's check takes 4 hours, B's is still open."""

from __future__ import annotations

from pathlib import Path

from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.tasks import complete_task

DIAGRAMS = Path(__file__).parent / "data" / "heatmap"


def deploy_parcels(services: Services) -> None:
    deploy(services, {p.name: p.read_bytes() for p in DIAGRAMS.glob("*.bpmn")}, ANALYST)


def check_parcel(services: Services, instance_id: int) -> None:
    (task,) = [
        t for t in get_instance(services, instance_id, MANAGER).tasks if t.element_id == "inspect_parcel"
    ]
    complete_task(services, task.id, {}, AGENT)


def parcel_cases(services: Services) -> dict[str, int]:
    deploy_parcels(services)
    started = {name: start_instance(services, "heat_parent", {}, AGENT) for name in ("a", "b", "c")}
    move_clock(services, ADMIN, add="PT2H")  # every timer fires: all three wait for their parcel
    move_clock(services, ADMIN, add="PT1H")
    deliver_message(services, "parcel_arrived", started["a"].business_key, {}, AGENT)
    move_clock(services, ADMIN, add="PT2H")
    deliver_message(services, "parcel_arrived", started["b"].business_key, {}, AGENT)
    move_clock(services, ADMIN, add="PT2H")
    check_parcel(services, started["a"].id)  # 4 hours after A's parcel came
    return {name: info.id for name, info in started.items()}
