"""Decision tables: UNIQUE is enforced, outputs replace task data."""

from __future__ import annotations

from support import AGENT, ANALYST, lifecycle_files

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance


def test_two_matching_rows_in_a_unique_table_are_an_incident(services: Services) -> None:
    files = lifecycle_files()
    dmn = files["review_rules.dmn"].decode()
    start = dmn.index('<rule id="rule_electronics_manual">')
    end = dmn.index("</rule>", start)
    overlapping = dmn[:start] + dmn[start:end].replace('"electronics"', "-", 1) + dmn[end:]
    files["review_rules.dmn"] = overlapping.encode()
    deploy(services, files, ANALYST)
    started = start_instance(
        services, "order_review", {"order_no": "1", "amount": 500, "category": "other"}, AGENT
    )
    assert started.status == "error"
    (incident,) = get_instance(services, started.id, AGENT).incidents
    assert incident.element_id == "decide_route"
    assert "UNIQUE" in incident.message and "rule_electronics_manual" in incident.message


def test_exclusive_rows_decide(deployed: Services) -> None:
    for amount, route in ((99.99, "auto"), (100, "manual")):
        started = start_instance(
            deployed, "order_review", {"order_no": "1", "amount": amount, "category": "other"}, AGENT
        )
        assert get_instance(deployed, started.id, AGENT).data["route"] == route
