"""Product records per serial number (issue 10): the history a case starts with, the case_records a
case writes (repairs, exchanges, scores), warranty start and end, duplicates, malformed entries, rights."""

from __future__ import annotations

from datetime import date

import pytest
from products_support import add_records, deploy_product_case, repair, start_product_case
from sqlalchemy import func, select
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData, NotFound
from rma_orchestrator.service.case_records import store_case_records
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.instances import get_instance, list_events
from rma_orchestrator.service.product_history import add_months
from rma_orchestrator.service.products import csat_figure, get_product, seed_product, set_warranty
from rma_orchestrator.store.models import TABLES

CUSTOMER = Actor("c1", "customer")


@pytest.fixture
def cases(services: Services) -> Services:
    return deploy_product_case(services)


def count(services: Services, table: str) -> int:
    with services.database.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(TABLES[table])).scalar_one())


def test_a_case_with_a_serial_number_starts_with_the_units_history_and_is_linked(cases: Services) -> None:
    first = start_product_case(cases)
    history = get_instance(cases, first, MANAGER).data["product_history"]
    assert history == {
        "serial_no": "SN-1",
        "known": False,
        "warranty_start_on": None,
        "warranty_months": None,
        "days_away": 0,
        "repairs_in_warranty": 0,
        "repairs": [],
        "exchanges": [],
        "cases": [],
    }
    add_records(cases, first, repair())
    second = start_product_case(
        cases, product_history={"known": True, "forged": 1}
    )  # a given one is replaced
    history = get_instance(cases, second, MANAGER).data["product_history"]
    first_key = get_instance(cases, first, MANAGER).business_key
    assert history["known"] is True and "forged" not in history
    assert history["days_away"] == 20 and history["repairs_in_warranty"] == 1
    assert history["repairs"] == [
        {
            "business_key": first_key,
            "started_on": "2026-01-01",
            "ended_on": "2026-01-21",
            "days": 20,
            "in_warranty": True,
            "fixed": False,
        }
    ]
    assert [(c["business_key"], c["kind"], c["status"]) for c in history["cases"]] == [
        (first_key, "repair", "running")
    ]
    product = get_product(cases, "SN-1", AGENT)
    assert [c.instance_id for c in product.cases] == [first, second]
    assert product.sku == "AP-300" and product.category == "home_goods"


def test_a_case_without_a_serial_number_gets_no_history(cases: Services) -> None:
    instance = start_product_case(cases, serial_no=None)
    assert "product_history" not in get_instance(cases, instance, MANAGER).data
    assert get_instance(cases, instance, MANAGER).product is None
    assert count(cases, "product") == 0


def test_a_serial_number_with_spaces_around_is_refused(cases: Services) -> None:
    with pytest.raises(InvalidData) as refused:
        start_product_case(cases, serial_no=" SN-1")
    assert refused.value.items[0]["field"] == "product.serial_no"


def test_days_away_for_repair_move_the_warranty_end(cases: Services) -> None:
    set_warranty(cases, "SN-1", {"warranty_start_on": "2025-08-31", "warranty_months": 12}, MANAGER)
    assert get_product(cases, "SN-1", AGENT).warranty_ends_on == date(2026, 8, 31)
    instance = start_product_case(cases)
    detail = add_records(cases, instance, repair(started_on="2025-11-01", ended_on="2025-11-21"))
    assert detail.product is not None
    assert detail.product.days_away == 20
    assert detail.product.warranty_ends_on == date(2026, 9, 20)  # 20 days later
    assert detail.product.repairs_in_warranty == 1


def test_months_are_added_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_months(date(2025, 8, 31), 12) == date(2026, 8, 31)


def test_an_exchange_restarts_the_warranty_and_earlier_repairs_stop_counting(cases: Services) -> None:
    set_warranty(cases, "SN-1", {"warranty_start_on": "2025-08-31", "warranty_months": 12}, MANAGER)
    instance = start_product_case(cases)
    add_records(cases, instance, repair(started_on="2025-10-01", ended_on="2025-10-11", days=10))
    exchange = {"type": "exchange", "serial_no": "SN-1", "exchanged_on": "2026-02-01", "new_serial_no": None}
    detail = add_records(cases, instance, exchange)
    assert detail.product is not None
    assert detail.product.warranty_start_on == date(2026, 2, 1)
    assert detail.product.days_away == 0 and detail.product.repairs_in_warranty == 0
    assert detail.product.warranty_ends_on == date(2027, 2, 1)
    assert len(detail.product.repairs) == 1 and detail.product.exchanges[0].exchanged_on == date(2026, 2, 1)
    history = get_instance(cases, start_product_case(cases), MANAGER).data["product_history"]
    assert history["warranty_start_on"] == "2026-02-01" and history["repairs_in_warranty"] == 0


def test_an_exchange_for_a_new_unit_gives_it_a_record_with_a_new_warranty(cases: Services) -> None:
    set_warranty(cases, "SN-1", {"warranty_start_on": "2025-08-31", "warranty_months": 24}, MANAGER)
    instance = start_product_case(cases)
    add_records(
        cases,
        instance,
        {"type": "exchange", "serial_no": "SN-1", "exchanged_on": "2026-03-10", "new_serial_no": "SN-2"},
    )
    old, new = get_product(cases, "SN-1", AGENT), get_product(cases, "SN-2", AGENT)
    assert old.replaced_by == "SN-2" and old.warranty_start_on == date(2025, 8, 31)
    assert new.replaces == ["SN-1"] and new.sku == "AP-300"
    assert (new.warranty_start_on, new.warranty_months, new.warranty_ends_on) == (
        date(2026, 3, 10),
        24,
        date(2028, 3, 10),
    )
    assert [c.instance_id for c in new.cases] == [instance]


def test_entries_are_taken_once_across_steps_and_when_stored_again(cases: Services) -> None:
    instance = start_product_case(cases)
    add_records(cases, instance, repair())
    detail = add_records(cases, instance, repair(started_on="2026-02-01", ended_on="2026-02-05", days=4))
    assert [r.days for r in detail.product.repairs] == [20, 4] if detail.product else False
    assert len(detail.data["case_records"]) == 2 and count(cases, "product_repair") == 2
    # The same entries stored again, as a retried command whose memory predates them would: nothing new.
    with cases.clock.pinned() as now, cases.uow() as uow:
        record = uow.instances.lock(instance)
        memory = store_case_records(uow, record, detail.data, {}, now)
        uow.commit()
    assert memory["taken"] == 2 and count(cases, "product_repair") == 2
    stored = [e for e in list_events(cases, instance, MANAGER).items if e.kind == "case_record_stored"]
    assert [e.details["entry_no"] for e in stored] == [0, 1]


def test_malformed_entries_are_skipped_with_an_event_and_the_step_goes_on(cases: Services) -> None:
    instance = start_product_case(cases)
    detail = add_records(
        cases,
        instance,
        "not a mapping",
        {
            "type": "repair",
            "serial_no": "SN-1",
            "started_on": "2026-01-21",
            "ended_on": "2026-01-01",
            "days": 1,
            "in_warranty": True,
            "fixed": True,
        },
        {"type": "satisfaction", "score": 9, "source": "customer_reply", "reached": True},
        {"type": "refund"},
        repair(),
    )
    assert detail.status == "running" and [t.element_id for t in detail.tasks] == ["add_records"]
    skipped = [
        e.details for e in list_events(cases, instance, MANAGER).items if e.kind == "case_record_skipped"
    ]
    assert [(s["entry_no"], s["field"]) for s in skipped] == [
        (0, ""),
        (1, "ended_on"),
        (2, "score"),
        (3, "type"),
    ]
    assert (
        detail.incidents == []
        and count(cases, "product_repair") == 1
        and count(cases, "satisfaction_score") == 0
    )


def test_the_warranty_decision_of_the_first_case_is_kept_on_the_record(cases: Services) -> None:
    instance = start_product_case(cases)
    add_records(cases, instance, warranty_months=24, warranty_start_on="2026-01-10")
    product = get_product(cases, "SN-1", AGENT)
    assert (product.warranty_start_on, product.warranty_months) == (date(2026, 1, 10), 24)
    later = start_product_case(cases)
    add_records(cases, later, warranty_months=12, warranty_start_on="2026-05-01")  # the record has them
    product = get_product(cases, "SN-1", AGENT)
    assert (product.warranty_start_on, product.warranty_months) == (date(2026, 1, 10), 24)


def test_satisfaction_scores_give_the_csat_figure(cases: Services) -> None:
    assert csat_figure(cases).average is None
    for score, reached in ((5, True), (2, True), (None, False)):
        instance = start_product_case(cases)
        add_records(
            cases,
            instance,
            {"type": "satisfaction", "score": score, "source": "phone_call", "reached": reached},
        )
    figure = csat_figure(cases)
    assert (figure.entries, figure.scored, figure.reached, figure.average) == (3, 2, 2, 3.5)


def test_who_may_read_and_set_product_records(cases: Services) -> None:
    set_warranty(cases, "SN-1", {"warranty_months": 12}, ADMIN)
    for reader in (AGENT, ANALYST, MANAGER, ADMIN):
        assert get_product(cases, "SN-1", reader).warranty_months == 12
    with pytest.raises(Forbidden):
        get_product(cases, "SN-1", CUSTOMER)
    for writer in (AGENT, ANALYST):
        with pytest.raises(Forbidden):
            set_warranty(cases, "SN-1", {"warranty_months": 6}, writer)
    with pytest.raises(NotFound):
        get_product(cases, "SN-UNKNOWN", AGENT)


def test_warranty_values_are_checked_with_clear_errors(cases: Services) -> None:
    with pytest.raises(InvalidData) as refused:
        set_warranty(
            cases, "SN-1", {"warranty_start_on": "31.08.2025", "warranty_months": 0, "colour": "red"}, MANAGER
        )
    assert sorted(item["field"] for item in refused.value.items) == [
        "colour",
        "warranty_months",
        "warranty_start_on",
    ]
    with pytest.raises(InvalidData):
        set_warranty(cases, "SN-1", {}, MANAGER)
    assert count(cases, "product") == 0
    cleared = set_warranty(
        cases, "SN-1", {"warranty_start_on": "2025-08-31", "warranty_months": None}, MANAGER
    )
    assert (cleared.warranty_start_on, cleared.warranty_months, cleared.warranty_ends_on) == (
        date(2025, 8, 31),
        None,
        None,
    )


def test_a_seeded_product_has_its_repairs_and_exchanges_in_date_order(cases: Services) -> None:
    seeded = seed_product(
        cases,
        {
            "serial_no": "SN-9",
            "warranty_start_on": "2025-01-01",
            "warranty_months": 12,
            "repairs": [
                {"started_on": "2025-09-01", "ended_on": "2025-09-08", "in_warranty": True, "fixed": True},
                {"started_on": "2025-03-01", "ended_on": "2025-03-11", "in_warranty": True, "fixed": False},
            ],
            "exchanges": [{"exchanged_on": "2025-06-01"}],
        },
    )
    assert [r.days for r in seeded.repairs] == [10, 7]  # days default to the days between
    assert seeded.warranty_start_on == date(2025, 6, 1)
    assert (seeded.days_away, seeded.repairs_in_warranty, seeded.warranty_ends_on) == (7, 1, date(2026, 6, 8))
    with pytest.raises(InvalidData) as refused:
        seed_product(cases, {"serial_no": "SN-8", "repairs": [{"started_on": "x"}], "colour": 1})
    assert {item["field"] for item in refused.value.items} >= {"repairs.0.started_on", "colour"}
