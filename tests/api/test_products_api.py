"""GET and PUT /api/v1/products/{serial}, the product in the case JSON, and the CSAT figures in /metrics."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from products_support import add_records, deploy_product_case, repair, start_product_case
from prometheus_client.parser import text_string_to_metric_families

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]


def test_a_product_record_reads_with_its_warranty_cases_repairs_and_exchanges(
    services: Services, client: FlaskClient, auth: Auth
) -> None:
    deploy_product_case(services)
    put = client.put(
        "/api/v1/products/SN-1",
        json={"warranty_start_on": "2025-08-31", "warranty_months": 12},
        headers=auth("manager"),
    )
    assert put.status_code == 200 and put.json["warranty_ends_on"] == "2026-08-31"
    instance = start_product_case(services)
    exchange = {"type": "exchange", "serial_no": "SN-1", "exchanged_on": "2026-03-01", "new_serial_no": None}
    add_records(services, instance, repair(started_on="2025-10-01", ended_on="2025-10-21"), exchange)
    later = start_product_case(services)
    add_records(services, later, repair(started_on="2026-04-01", ended_on="2026-04-21"))
    body = client.get("/api/v1/products/SN-1", headers=auth("staff")).json
    assert body["warranty_start_on"] == "2026-03-01" and body["warranty_months"] == 12
    assert body["days_away"] == 20 and body["warranty_ends_on"] == "2027-03-21"
    assert [(r["started_on"], r["ended_on"], r["days"]) for r in body["repairs"]] == [
        ("2025-10-01", "2025-10-21", 20),
        ("2026-04-01", "2026-04-21", 20),
    ]
    assert [e["exchanged_on"] for e in body["exchanges"]] == ["2026-03-01"]
    assert [c["instance_id"] for c in body["cases"]] == [instance, later]
    case = client.get(f"/api/v1/process-instances/{later}", headers=auth("analyst")).json
    assert case["product"] == body
    assert case["data"]["product_history"]["repairs_in_warranty"] == 0  # as it was at the start


def test_an_unknown_serial_number_is_404_and_a_case_without_one_has_no_product(
    services: Services, client: FlaskClient, auth: Auth
) -> None:
    deploy_product_case(services)
    missing = client.get("/api/v1/products/NOPE-1", headers=auth("staff"))
    assert missing.status_code == 404
    assert missing.json == {"errors": [{"message": "no product record for serial number NOPE-1"}]}
    instance = start_product_case(services, serial_no=None)
    assert client.get(f"/api/v1/process-instances/{instance}", headers=auth("staff")).json["product"] is None


def test_only_managers_and_admins_set_a_warranty_and_bad_values_are_named(
    client: FlaskClient, auth: Auth
) -> None:
    for who in ("staff", "analyst"):
        refused = client.put("/api/v1/products/SN-1", json={"warranty_months": 12}, headers=auth(who))
        assert refused.status_code == 403
    assert (
        client.get("/api/v1/products/SN-1", headers=auth("admin")).status_code == 404
    )  # nothing was written
    bad = client.put(
        "/api/v1/products/SN-1",
        json={"warranty_start_on": "2025-02-30", "warranty_months": 0, "colour": "red"},
        headers=auth("admin"),
    )
    assert bad.status_code == 400
    assert sorted(e["field"] for e in bad.json["errors"]) == [
        "colour",
        "warranty_months",
        "warranty_start_on",
    ]
    typed = client.put("/api/v1/products/SN-1", json={"warranty_months": "twelve"}, headers=auth("admin"))
    assert typed.status_code == 400 and typed.json["errors"][0]["field"] == "warranty_months"
    assert (
        client.put("/api/v1/products/SN-1", json={"warranty_months": 24}, headers=auth("admin")).status_code
        == 200
    )


def test_metrics_show_the_csat_figures(services: Services, client: FlaskClient) -> None:
    deploy_product_case(services)
    for score in (4, 5):
        instance = start_product_case(services)
        add_records(
            services,
            instance,
            {"type": "satisfaction", "score": score, "source": "customer_reply", "reached": True},
        )
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
        for sample in family.samples
    }
    assert samples["rma_csat_scores_total"] == 2 and samples["rma_csat_followups_total"] == 2
    assert samples["rma_csat_score_average"] == 4.5
