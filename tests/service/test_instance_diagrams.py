"""An instance's diagrams: the file of its own version (or of a process it calls) with the element
states drawn in it, embedded subprocesses included, its call links and pending timers; managers only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import AGENT, ANALYST, DATA, MANAGER

from rma_orchestrator.errors import Forbidden, NotFound
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instance_diagrams import get_instance_diagram
from rma_orchestrator.service.instances import start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import InstanceInfo

EMBEDDED = DATA.parent / "unit" / "data" / "embedded_review.bpmn"


def test_an_embedded_subprocess_is_drawn_with_its_parent(services: Services) -> None:
    deploy(services, {"embedded_review.bpmn": EMBEDDED.read_bytes()}, ANALYST)
    instance = start_instance(services, "intake", {}, AGENT)
    assert instance.status == "completed"
    diagram = get_instance_diagram(services, instance.id, MANAGER)
    assert diagram.process_key == "intake" and diagram.calls == {} and diagram.timers == []
    states = {element: entry["state"] for element, entry in diagram.states.items()}
    assert states["intake_start"] == states["review"] == states["intake_end"] == "completed"
    assert states["embedded_start"] == states["embedded_mark"] == "completed"  # kept under "review"
    assert '<bpmn:subProcess id="review"' in diagram.xml
    with pytest.raises(NotFound):  # no diagram of its own
        get_instance_diagram(services, instance.id, MANAGER, "review")


def test_a_called_process_has_its_own_diagram_and_states(
    start_order: Callable[..., InstanceInfo], deployed: Services
) -> None:
    instance = start_order(amount=500)
    top = get_instance_diagram(deployed, instance.id, MANAGER)
    assert top.calls == {"fix_order": "order_fix"}
    assert sorted(t.element_id for t in top.timers) == ["review_reminder", "review_timeout"]
    assert top.states["review_order"]["state"] == "active"
    paid = start_order(amount=50)
    assert deliver_message(deployed, "payment_received", paid.business_key, {}, AGENT).delivered
    called = get_instance_diagram(deployed, paid.id, MANAGER, "order_fix")
    assert called.process_key == "order_fix" and called.top_process_key == "order_review"
    assert called.states and {entry["state"] for entry in called.states.values()} == {"completed"}
    assert '<bpmn:process id="order_fix"' in called.xml and called.timers == []


def test_only_managers_see_diagrams_and_unknown_ones_are_not_found(
    start_order: Callable[..., InstanceInfo], deployed: Services
) -> None:
    instance = start_order(amount=500)
    for actor in (AGENT, ANALYST):
        with pytest.raises(Forbidden):
            get_instance_diagram(deployed, instance.id, actor)
    for process_key in ("divide", "x" * 1000, "order_review\x00"):
        with pytest.raises(NotFound):
            get_instance_diagram(deployed, instance.id, MANAGER, process_key)
    with pytest.raises(NotFound):
        get_instance_diagram(deployed, 999_999, MANAGER)
