"""Demo data for a new installation: a user for every lane and a dozen cases in various states.

Runs only on an empty database (no users, no instances), so ``make run`` may call it every
time. Dates are relative to now, so the demo looks alive whenever it is created; cases are
driven through the same commands the API uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..store import statistics
from .context import Actor, Services
from .instances import get_instance, list_instances, start_instance
from .messages import deliver_message
from .products import seed_product
from .tasks import complete_task
from .users import add_user

LANES = ("customer_service", "cs_supervisor", "warehouse", "quality", "finance", "finance_lead", "technician")
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *((f"{lane}_demo", "staff", (lane,)) for lane in LANES),
    ("manager_demo", "manager", ("after_sales_manager", "cs_supervisor")),
    ("analyst_demo", "analyst", ()),
    ("admin_demo", "admin", ()),
)
MANAGER = Actor("manager_demo", "manager", frozenset({"after_sales_manager"}))


@dataclass
class DemoSeed:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (name, role, password)
    cases: list[str] = field(default_factory=list)  # business keys
    skipped: str | None = None  # why nothing was added


DEMO_PASSWORD = "demo"  # every demo user's, so that a newcomer can sign in after any `make run`


def seed_demo(
    services: Services, progress: Callable[[str], None] = lambda _: None, password: str = DEMO_PASSWORD
) -> DemoSeed:
    """Add the demo users (all with ``password``) and cases, unless the database holds users or cases."""
    with services.database.reading() as connection:
        users, instances = statistics.users_and_instances(connection)
    if users or instances:
        return DemoSeed(skipped=f"the database already holds {users} users and {instances} cases")
    seed = DemoSeed()
    for name, role, groups in DEMO_USERS:
        add_user(services, name, list(groups), role, password)
        seed.users.append((name, role, password))
    now = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz))
    seed_product(services, _demo_phone(now), MANAGER)
    for recipe in _recipes(now):
        key = recipe(services, now)
        seed.cases.append(key)
        progress(key)
    return seed


def case_data(
    now: datetime, kind: str, reason: str, received_days_ago: float, **changes: Any
) -> dict[str, Any]:
    """Start data of a realistic case registered at ``now`` (a business-time-zone time)."""
    received = now - timedelta(days=received_days_ago)
    data: dict[str, Any] = {
        "customer": {"name": "李娜 Li Na", "phone": "13912345678", "email": "li.na@example.cn"},
        "order_no": f"SO-{now:%Y%m%d}-{secrets.randbelow(10_000):04d}",
        "product": {
            "sku": "KETTLE-1",
            "name": "电热水壶 Electric kettle",
            "category": "home_goods",
            "exclusion": "none",
            "price_paid": "199.00",
        },
        "purchased_on": (received - timedelta(days=2)).date().isoformat(),
        "received_at": received.isoformat(timespec="seconds"),
        "reported_at": now.isoformat(timespec="seconds"),
        "kind": kind,
        "reason": reason,
        "description": "演示案件。 A demo case.",
        "condition": {"unused": True, "packaging_complete": True, "accessories_complete": True},
        "channel": "portal",
        "order_verified": True,
    }
    data.update(changes)
    return data


DEMO_SERIAL = "SN-DEMO-PHONE-0001"


def _demo_phone(now: datetime) -> dict[str, Any]:
    """The record of the phone the in-warranty repair case is about: one earlier repair that
    did not fix it, so that its case starts with one repair inside the warranty (two open the
    exchange or return)."""
    started = (now - timedelta(days=120)).date()
    return {
        "serial_no": DEMO_SERIAL,
        "sku": "PHONE-9",
        "name": "手机 Phone",
        "category": "electronics",
        "warranty_start_on": (now - timedelta(days=198)).date().isoformat(),
        "warranty_months": 12,
        "repairs": [
            {
                "started_on": started.isoformat(),
                "ended_on": (started + timedelta(days=12)).isoformat(),
                "in_warranty": True,
                "fixed": False,
            }
        ],
    }


def _open(services: Services, key: str, element_id: str) -> str:
    """The id of the open task ``element_id`` of case ``key``."""
    (instance,) = list_instances(services, MANAGER, business_key=key).items
    tasks = get_instance(services, instance.id, MANAGER).tasks
    return next(t.id for t in tasks if t.element_id == element_id)


def _start(services: Services, data: dict[str, Any]) -> str:
    return start_instance(services, "rma_case", data, Actor("customer_service_demo", "staff")).business_key


def _review(services: Services, key: str, approved: bool, **extra: Any) -> None:
    data = {
        "eligible": approved,
        "approved": approved,
        "return_method": "courier_pickup" if approved else "not_applicable",
        **extra,
    }
    complete_task(services, _open(services, key, "review_case"), data, MANAGER)


def _received(services: Services, key: str, days_ago: float, now: datetime) -> None:
    at = (now - timedelta(days=days_ago)).isoformat(timespec="seconds")
    payload = {"received_at": at, "received_by": "仓库 Warehouse", "parcel_condition": "intact"}
    deliver_message(services, "goods_received", key, payload, MANAGER)


def _inspect_and_check(services: Services, key: str) -> None:
    complete_task(
        services,
        _open(services, key, "inspect_goods"),
        {
            "state": "intact",
            "quantity_ok": True,
            "packaging_complete": True,
            "accessories_complete": True,
            "unused": True,
            "gifts_returned": True,
            "gift_value": "0.00",
            "photos": ["demo-photo-1"],
        },
        MANAGER,
    )
    complete_task(
        services,
        _open(services, key, "quality_check"),
        {"cause": "production_defect", "confirmed": True},
        MANAGER,
    )


Recipe = Callable[[Services, datetime], str]


def _recipes(now: datetime) -> list[Recipe]:
    def awaiting_review(reason: str, days: float, kind: str = "return", **changes: Any) -> Recipe:
        return lambda services, now: _start(services, case_data(now, kind, reason, days, **changes))

    def rejected(services: Services, now: datetime) -> str:
        key = _start(services, case_data(now, "return", "no_reason", 12))
        _review(services, key, False)
        return key

    def waiting_for_goods(services: Services, now: datetime) -> str:
        key = _start(services, case_data(now, "return", "quality_on_receipt", 1))
        _review(services, key, True)
        return key

    def inspection(kind: str) -> Recipe:
        def recipe(services: Services, now: datetime) -> str:
            key = _start(services, case_data(now, kind, "wrong_item", 2))
            _review(services, key, True)
            _received(services, key, 0, now)
            return key

        return recipe

    def refund_overdue(services: Services, now: datetime) -> str:
        """Goods received 8 days ago and still not refunded: the 7-day refund SLA is breached."""
        key = _start(services, case_data(now, "return", "quality_on_receipt", 1))
        _review(services, key, True)
        _received(services, key, 8, now)
        _inspect_and_check(services, key)
        return key

    def service_request(kind: str, reason: str, **changes: Any) -> Recipe:
        def recipe(services: Services, now: datetime) -> str:
            key = _start(services, case_data(now, kind, reason, 200, **changes))
            _review(services, key, True)
            return key

        return recipe

    electronics = {
        "product": {
            "sku": "PHONE-9",
            "name": "手机 Phone",
            "category": "electronics",
            "exclusion": "none",
            "price_paid": "2999.00",
        }
    }
    return [
        awaiting_review("no_reason", 3),
        awaiting_review("quality_on_receipt", 1, kind="exchange"),
        awaiting_review("no_reason", 2, product={**electronics["product"], "exclusion": "digital_unsealed"}),
        rejected,
        waiting_for_goods,
        inspection("return"),
        inspection("exchange"),
        refund_overdue,
        service_request(
            "repair", "quality_in_use", product={**electronics["product"], "serial_no": DEMO_SERIAL}
        ),
        service_request(
            "repair",
            "quality_in_use",
            purchased_on=(now - timedelta(days=800)).date().isoformat(),
            received_at=(now - timedelta(days=790)).isoformat(timespec="seconds"),
            **electronics,
        ),
        service_request("complaint", "other"),
        # no evidence, and no proof of purchase: both wait for documents (request_documents)
        awaiting_review("misleading_sales", 5, discovered_on=(now - timedelta(days=3)).date().isoformat()),
        awaiting_review("quality_on_receipt", 1, kind="exchange", order_verified=False),
    ]
