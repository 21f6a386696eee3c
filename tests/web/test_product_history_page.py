"""The task page shows the product's history by serial number: warranty, repairs, exchanges, cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from rma_cases import case_data, deploy_rma
from support import AGENT, MANAGER

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.products import seed_product

SERIAL = "SN55A10001"


def start_with_serial(services: Services) -> int:
    data = case_data(services)
    data["product"] = {**data["product"], "serial_no": SERIAL}
    return start_instance(services, "rma_case", data, AGENT).id


def open_task(services: Services, instance_id: int) -> str:
    (task,) = [t for t in get_instance(services, instance_id, MANAGER).tasks if t.status == "open"]
    return task.id


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            (
                "Product history",
                "Warranty end",
                "moved by 20 days away for repair",
                "Other cases on this product",
            ),
        ),
        ("zh-CN", ("商品履历", "保修截止", "因维修在外 20 天而顺延", "该商品的其他案件")),
    ],
)
def test_the_task_page_shows_the_products_history(
    services: Services, signed_in: Callable[..., FlaskClient], language: str, texts: tuple[str, ...]
) -> None:
    deploy_rma(services)
    seed_product(
        services,
        {
            "serial_no": SERIAL,
            "warranty_start_on": "2025-08-31",
            "warranty_months": 12,
            "repairs": [
                {"started_on": "2025-11-02", "ended_on": "2025-11-22", "in_warranty": True, "fixed": False}
            ],
            "exchanges": [{"exchanged_on": "2025-09-10", "new_serial_no": None}],
        },
    )
    earlier = start_with_serial(services)
    current = start_with_serial(services)
    page = signed_in("staff", language).get(f"/tasks/{open_task(services, current)}").get_data(as_text=True)
    for text in texts:
        assert text in page
    assert "2025-09-10" in page  # the exchange, which restarted the warranty
    assert "2026-09-30" in page  # its end: 2025-09-10 + 12 months + 20 days away
    assert "2025-11-02" in page and "2025-11-22" in page and "<td>20</td>" in page
    earlier_key = get_instance(services, earlier, MANAGER).business_key
    assert f'href="/cases/{earlier}">{earlier_key}</a>' in page


def test_a_case_without_a_serial_number_shows_no_product_history(
    services: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    deploy_rma(services)
    instance = start_instance(services, "rma_case", case_data(services), AGENT).id
    page = signed_in("staff").get(f"/tasks/{open_task(services, instance)}").get_data(as_text=True)
    assert "Product history" not in page
