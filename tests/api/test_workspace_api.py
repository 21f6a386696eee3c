"""The staff workspace through the API: the inbox, drafts and saved filters."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import lifecycle_files

from rma_orchestrator.errors import TooManyAttempts

Auth = Callable[[str], dict[str, str]]


@pytest.fixture
def cases(client: FlaskClient, auth: Auth) -> list[str]:
    """Two cases (a repair and a return), each with an open review task; their task ids."""
    upload = {"files": [(io.BytesIO(content), name) for name, content in lifecycle_files().items()]}
    deployed = client.post(
        "/api/v1/deployments", data=upload, headers=auth("analyst"), content_type="multipart/form-data"
    )
    assert deployed.status_code == 201
    task_ids = []
    for kind, name, phone in (("repair", "Li Na", "13900001111"), ("return", "王芳", "13812345678")):
        data = {
            "order_no": f"SO-{kind}",
            "amount": 500,
            "category": "other",
            "kind": kind,
            "customer": {"name": name, "phone": phone},
            "product": {"name": f"{kind} kettle"},
        }
        body = {"process_key": "order_review", "data": data}
        started = client.post("/api/v1/process-instances", json=body, headers=auth("staff"))
        assert started.status_code == 201
        detail = client.get(f"/api/v1/process-instances/{started.json['id']}", headers=auth("staff"))
        task_ids.append(detail.json["tasks"][0]["id"])
    return task_ids


def test_inbox_tabs_filters_and_case_columns(client: FlaskClient, auth: Auth, cases: list[str]) -> None:
    repair, _ = cases
    listed = client.get("/api/v1/tasks?view=groups&kind=repair", headers=auth("staff"))
    assert listed.status_code == 200 and listed.json["total"] == 1
    (item,) = listed.json["items"]
    assert item["id"] == repair
    assert {k: item[k] for k in ("kind", "customer_name", "customer_phone", "order_no", "product_name")} == {
        "kind": "repair",
        "customer_name": "Li Na",
        "customer_phone": "13900001111",
        "order_no": "SO-repair",
        "product_name": "repair kettle",
    }
    assert client.get("/api/v1/tasks?q=王", headers=auth("staff")).json["items"][0]["kind"] == "return"
    assert client.get("/api/v1/tasks?q=1111&view=mine", headers=auth("staff")).json["total"] == 0
    assert client.post(f"/api/v1/tasks/{repair}/claim", headers=auth("staff")).status_code == 200
    assert [t["id"] for t in client.get("/api/v1/tasks?view=mine", headers=auth("staff")).json["items"]] == [
        repair
    ]
    assert client.get("/api/v1/tasks?view=all", headers=auth("manager")).json["total"] == 2
    assert client.get("/api/v1/tasks?view=all", headers=auth("warehouse")).status_code == 403
    refused = client.get("/api/v1/tasks?view=all", headers=auth("staff"))
    assert refused.status_code == 403 and refused.json["errors"][0]["message"]
    assert client.get("/api/v1/tasks?view=groups", headers=auth("warehouse")).json["total"] == 0
    bad = client.get("/api/v1/tasks?kind=refund&view=x", headers=auth("staff"))
    assert bad.status_code == 400 and {e["field"] for e in bad.json["errors"]} == {"kind", "view"}


def test_drafts(client: FlaskClient, auth: Auth, cases: list[str]) -> None:
    task_id, other = cases
    url = f"/api/v1/tasks/{task_id}/draft"
    assert client.get(url, headers=auth("staff")).status_code == 404
    saved = client.put(url, json={"data": {"note": "half"}}, headers=auth("staff"))
    assert saved.status_code == 200
    assert saved.json["task_id"] == task_id and saved.json["data"] == {"note": "half"}
    assert saved.json["saved_at"].endswith("Z")
    read = client.get(url, headers=auth("staff"))
    assert read.status_code == 200 and read.json == saved.json
    assert client.get(url, headers=auth("manager")).status_code == 404  # someone else's draft
    assert client.get(url, headers=auth("warehouse")).status_code == 403
    assert client.put(url, json={"data": {}}, headers=auth("warehouse")).status_code == 403
    bad = client.put(url, json={"data": [1]}, headers=auth("staff"))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "data"
    assert client.put(url, json={}, headers=auth("staff")).status_code == 400
    deleted = client.delete(url, headers=auth("staff"))
    assert deleted.status_code == 204 and deleted.data == b""
    assert client.get(url, headers=auth("staff")).status_code == 404
    assert client.delete("/api/v1/tasks/nope/draft", headers=auth("staff")).status_code == 404
    client.put(f"/api/v1/tasks/{other}/draft", json={"data": {"note": "x"}}, headers=auth("staff"))
    done = client.post(
        f"/api/v1/tasks/{other}/complete", json={"data": {"approved": False}}, headers=auth("staff")
    )
    assert done.status_code == 200
    assert client.get(f"/api/v1/tasks/{other}/draft", headers=auth("staff")).status_code == 404
    closed = client.put(f"/api/v1/tasks/{other}/draft", json={"data": {}}, headers=auth("staff"))
    assert closed.status_code == 409


def test_saved_filters(client: FlaskClient, auth: Auth) -> None:
    assert client.get("/api/v1/saved-filters", headers=auth("staff")).json == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 1,
    }
    saved = client.put(
        "/api/v1/saved-filters/repairs", json={"query": "view=mine&kind=repair"}, headers=auth("staff")
    )
    assert saved.status_code == 200
    assert saved.json["name"] == "repairs" and saved.json["query"] == "view=mine&kind=repair"
    listed = client.get("/api/v1/saved-filters", headers=auth("staff")).json
    assert listed["total"] == 1 and listed["items"][0] == saved.json
    assert client.get("/api/v1/saved-filters", headers=auth("manager")).json["total"] == 0
    bad = client.put("/api/v1/saved-filters/x", json={"query": "sort=due"}, headers=auth("staff"))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "query"
    assert client.put("/api/v1/saved-filters/x", json={"query": 3}, headers=auth("staff")).status_code == 400
    assert client.delete("/api/v1/saved-filters/repairs", headers=auth("manager")).status_code == 404
    assert client.delete("/api/v1/saved-filters/repairs", headers=auth("staff")).status_code == 204
    assert client.get("/api/v1/saved-filters", headers=auth("staff")).json["total"] == 0


def test_too_many_attempts_is_429_with_retry_after(app: Flask) -> None:
    def refuse() -> None:
        raise TooManyAttempts("too many failed sign-ins; try again in 8 seconds", 8)

    app.add_url_rule("/api/v1/refused-sign-in", "refused_sign_in", refuse)
    app.add_url_rule("/refused-sign-in", "refused_sign_in_page", refuse)
    client = FlaskClient(app)  # these test routes are not in the OpenAPI document
    response = client.get("/api/v1/refused-sign-in")
    assert response.status_code == 429 and response.headers["Retry-After"] == "8"
    assert response.json == {"errors": [{"message": "too many failed sign-ins; try again in 8 seconds"}]}
    page = client.get("/refused-sign-in")  # a page answers the same status in HTML
    assert page.status_code == 429 and page.headers["Retry-After"] == "8"
    assert "text/html" in page.content_type
