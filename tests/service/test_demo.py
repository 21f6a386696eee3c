"""The demo fills an empty database with a user per lane and a dozen live cases, once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from support import ANALYST

from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.demo import DEMO_SERIAL, DEMO_USERS, seed_demo
from rma_orchestrator.service.instances import get_instance, list_instances
from rma_orchestrator.service.tasks import list_tasks
from rma_orchestrator.service.users import actor_for_password

ROOT = Path(__file__).parents[2]
ADMIN = Actor("admin", "admin")


def test_demo_seeds_users_and_cases_once(services: Services) -> None:
    files = {
        p.name: p.read_bytes()
        for d in ("processes", "forms")
        for p in (ROOT / d).glob("*.*")
        if p.suffix in (".bpmn", ".dmn", ".json")
    }
    deploy(services, files, ANALYST)
    seed = seed_demo(services)
    assert seed.skipped is None
    assert {name for name, _, _ in seed.users} == {name for name, _, _ in DEMO_USERS}
    name, _, password = seed.users[0]
    assert actor_for_password(services, name, password).groups == {"customer_service"}
    cases = list_instances(services, ADMIN, per_page=50).items
    assert len(cases) == len(seed.cases) == 13
    assert Counter(c.status for c in cases) == {"running": 12, "completed": 1}
    open_elements = Counter(t.element_id for t in list_tasks(services, ADMIN, per_page=100).items)
    assert open_elements["review_case"] == 3 and open_elements["inspect_goods"] == 2
    assert open_elements["request_documents"] == 2  # no evidence; no proof of purchase
    assert {"prepare_quote", "book_appointment", "investigate", "escalate_refund"} <= set(open_elements)
    assert all(not get_instance(services, c.id, ADMIN).incidents for c in cases)
    (phone,) = [
        detail
        for c in cases
        if (detail := get_instance(services, c.id, ADMIN)).data["product"].get("serial_no") == DEMO_SERIAL
    ]
    assert phone.data["prior_repairs_in_warranty"] == 1 and phone.product is not None
    assert [r.fixed for r in phone.product.repairs] == [False]
    assert [t.element_id for t in list_tasks(services, ADMIN, overdue=True).items] == ["pay_refund"]
    again = seed_demo(services)
    assert again.skipped and not again.cases
    assert list_instances(services, ADMIN).total == 13
