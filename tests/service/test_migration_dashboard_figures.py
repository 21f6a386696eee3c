"""Migration 0017: the figures the dashboard keeps on each case (seconds to first response and to
resolution) and the case's registration on its timers and satisfaction scores are filled in for the
rows already there, to the same values the steps store; a downgrade takes them away."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from products_support import add_records, deploy_product_case, repair, start_product_case
from rma_cases import case_data, deploy_rma
from sqlalchemy import inspect, select
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import cancel_instance, get_instance, start_instance
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store.migrate import downgrade, upgrade
from rma_orchestrator.store.models import TABLES

KEPT = {
    "process_instance": ("first_response_seconds", "resolution_seconds"),
    "timer": ("case_started_at",),
    "satisfaction_score": ("case_started_at",),
}


def kept(services: Services) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """What each table keeps for the dashboard, by row id."""
    found = {}
    with services.database.reading() as connection:
        for name, columns in KEPT.items():
            table = TABLES[name]
            query = select(table.c.id, *(table.c[column] for column in columns))
            found[name] = {row[0]: tuple(row[1:]) for row in connection.execute(query)}
    return found


def columns_there(services: Services) -> set[tuple[str, str]]:
    inspector = inspect(services.database.engine)
    return {
        (name, column["name"])
        for name in KEPT
        for column in inspector.get_columns(name)
        if column["name"] in KEPT[name]
    }


def test_the_figures_are_filled_in_as_the_steps_set_them(services: Services) -> None:
    deploy_rma(services)
    deploy_product_case(services)
    answered = start_instance(services, "rma_case", case_data(services, reason="wrong_item"), AGENT)
    withdrawn = start_instance(services, "rma_case", case_data(services), AGENT)
    later = services.clock.now() + timedelta(hours=2, minutes=17, seconds=3, microseconds=250_001)
    move_clock(services, ADMIN, set_to=later.isoformat())  # a fraction of a second, to be kept exactly
    (review,) = [
        t for t in get_instance(services, answered.id, MANAGER).tasks if t.element_id == "review_case"
    ]
    complete_task(
        services,
        review.id,
        {"eligible": False, "approved": False, "return_method": "not_applicable"},
        MANAGER,
    )
    cancel_instance(services, withdrawn.id, MANAGER)
    repaired = start_product_case(services, "SN-M1")
    satisfaction = {"type": "satisfaction", "score": 4, "source": "phone_call", "reached": True}
    add_records(services, repaired, repair("SN-M1", days=3, fixed=True), satisfaction, done=True)
    stored = kept(services)
    assert stored["process_instance"][answered.id][0] is not None
    assert stored["process_instance"][repaired][1] is not None  # completed
    assert stored["process_instance"][withdrawn.id] == (None, None)
    assert stored["satisfaction_score"] and stored["timer"]
    try:
        downgrade(services.database, "0014")
        assert columns_there(services) == set()
    finally:
        upgrade(services.database)  # the PostgreSQL database is shared by the run's other tests
    assert len(columns_there(services)) == 4
    assert kept(services) == stored
