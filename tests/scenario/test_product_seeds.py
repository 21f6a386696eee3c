"""Scenario files' top-level ``products:``: product records seeded before the start, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest
from products_support import deploy_product_case
from support import AGENT

from rma_orchestrator.scenarios.files import InvalidScenario, load_scenarios
from rma_orchestrator.scenarios.runner import run_scenario
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.products import get_product

SEEDED = """\
name: a unit with an earlier repair
process: product_case
products:
  - serial_no: SN-7
    warranty_start_on: 2025-08-31
    warranty_months: 12
    repairs:
      - {started_on: 2025-11-02, ended_on: 2025-11-22, in_warranty: true, fixed: false}
start: {product: {sku: AP-300, serial_no: SN-7}, kind: repair}
steps:
  - expect:
      data:
        product_history.known: true
        product_history.days_away: 20
        product_history.repairs_in_warranty: 1
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "case.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_products_are_read_and_seeded_before_the_start(services: Services, tmp_path: Path) -> None:
    deploy_product_case(services)
    (scenario,) = load_scenarios(write(tmp_path, SEEDED))
    assert [seed["serial_no"] for seed in scenario.products] == ["SN-7"]
    result = run_scenario(services, scenario)
    assert (result.passed, result.message) == (True, None)
    product = get_product(services, "SN-7", AGENT)
    assert product.warranty_ends_on is not None and product.warranty_ends_on.isoformat() == "2026-09-20"
    assert len(product.cases) == 1  # the scenario's case, linked at its start


@pytest.mark.parametrize(
    ("products", "line", "message"),
    [
        ("products: SN-7\n", 3, "products takes a list"),
        ("products:\n  - {warranty_months: 12}\n", 4, "products.0.serial_no: must be a serial number"),
        (
            "products:\n  - serial_no: SN-7\n  - serial_no: SN-8\n    repairs: [{started_on: 2025-11-31}]\n",
            5,
            "products.1.repairs.0.started_on: must be a date written YYYY-MM-DD",
        ),
        ("products:\n  - {serial_no: SN-7, colour: red}\n", 4, "products.0.colour: unknown key"),
    ],
)
def test_bad_products_are_reported_with_their_line(
    tmp_path: Path, products: str, line: int, message: str
) -> None:
    text = f"name: bad seed\nprocess: product_case\n{products}start: {{kind: repair}}\n"
    with pytest.raises(InvalidScenario) as refused:
        load_scenarios(write(tmp_path, text))
    (item,) = refused.value.items
    assert item["line"] == line and item["message"].startswith(message), item
