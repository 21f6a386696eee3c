"""/api/v1/drafts: the modeler's drafts over HTTP: If-Match revisions, 409 naming who saved, 428
without If-Match, files served by type, validation as POST /validations, 403 for staff, 404s."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from support import database_state, lifecycle_files

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]
API = "/api/v1/drafts"


@pytest.fixture
def draft(client: FlaskClient, auth: Auth, deployed: Services) -> dict[str, Any]:
    """A draft of order_review's version 1, made by the analyst."""
    response = client.post(API, json={"process_key": "order_review"}, headers=auth("analyst"))
    assert response.status_code == 201, response.json
    return response.json


def _put(
    client: FlaskClient, headers: dict[str, str], draft_id: int, name: str, content: bytes, revision: Any
):  # type: ignore[no-untyped-def]
    if revision is not None:
        headers = {**headers, "If-Match": str(revision)}
    return client.put(f"{API}/{draft_id}/files/{name}", data=content, headers=headers)


def test_a_new_draft_lists_the_versions_files(client: FlaskClient, auth: Auth, draft: dict[str, Any]) -> None:
    files = lifecycle_files()
    assert (draft["process_key"], draft["base_version"], draft["revision"]) == ("order_review", 1, 1)
    assert draft["created_by"] == draft["updated_by"] == "ana"
    assert {f["name"]: f["size"] for f in draft["files"]} == {
        n: len(files[n])
        for n in (
            "order_review.bpmn",
            "order_fix.bpmn",
            "review_rules.dmn",
            "review_form.json",
            "order_start.json",
        )
    }
    listed = client.get(API, headers=auth("admin")).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == draft["id"]
    one = client.get(f"{API}/{draft['id']}", headers=auth("analyst"))
    assert one.json == draft and one.headers["ETag"] == '"1"'


def test_files_come_with_the_type_of_their_suffix(
    client: FlaskClient, auth: Auth, draft: dict[str, Any]
) -> None:
    files = lifecycle_files()
    for name, mimetype in (
        ("order_review.bpmn", "application/xml"),
        ("review_form.json", "application/json"),
    ):
        response = client.get(f"{API}/{draft['id']}/files/{name}", headers=auth("analyst"))
        assert (response.status_code, response.mimetype, response.data) == (200, mimetype, files[name])
    missing = client.get(f"{API}/{draft['id']}/files/nothing.bpmn", headers=auth("analyst"))
    assert missing.status_code == 404


def test_two_saves_based_on_one_revision_the_second_is_refused(
    client: FlaskClient, auth: Auth, draft: dict[str, Any], services: Services
) -> None:
    first = _put(client, auth("analyst"), draft["id"], "order_fix.bpmn", b"<first/>", 1)
    assert first.status_code == 200, first.json
    assert (first.json["revision"], first.json["updated_by"], first.headers["ETag"]) == (2, "ana", '"2"')
    auth("admin")  # the admin's user exists before counting rows
    before = database_state(services)
    second = _put(client, auth("admin"), draft["id"], "order_fix.bpmn", b"<second/>", 1)
    assert second.status_code == 409
    assert (second.json["revision"], second.json["updated_by"]) == (2, "ana")
    assert "saved by ana" in second.json["errors"][0]["message"]
    assert database_state(services) == before
    content = client.get(f"{API}/{draft['id']}/files/order_fix.bpmn", headers=auth("admin")).data
    assert content == b"<first/>"


def test_a_change_without_if_match_is_428_and_a_bad_one_400(
    client: FlaskClient, auth: Auth, draft: dict[str, Any], services: Services
) -> None:
    before = database_state(services)
    missing = _put(client, auth("analyst"), draft["id"], "order_fix.bpmn", b"<x/>", None)
    assert missing.status_code == 428 and "If-Match" in missing.json["errors"][0]["message"]
    removal = client.delete(f"{API}/{draft['id']}/files/order_fix.bpmn", headers=auth("analyst"))
    assert removal.status_code == 428
    bad = _put(client, auth("analyst"), draft["id"], "order_fix.bpmn", b"<x/>", "latest")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "If-Match"
    assert database_state(services) == before


def test_a_quoted_if_match_and_a_file_removal(client: FlaskClient, auth: Auth, draft: dict[str, Any]) -> None:
    saved = _put(client, auth("analyst"), draft["id"], "new_form.json", b"{}", '"1"')
    assert saved.status_code == 200 and "new_form.json" in {f["name"] for f in saved.json["files"]}
    headers = {**auth("analyst"), "If-Match": "2"}
    removed = client.delete(f"{API}/{draft['id']}/files/new_form.json", headers=headers)
    assert removed.status_code == 200 and removed.json["revision"] == 3
    assert "new_form.json" not in {f["name"] for f in removed.json["files"]}
    stale = client.delete(f"{API}/{draft['id']}/files/order_fix.bpmn", headers=headers)
    assert stale.status_code == 409 and stale.json["revision"] == 3


@pytest.mark.parametrize("name", ["notes.txt", "a%5Cb.bpmn", ".json", "x" * 300 + ".dmn"])
def test_bad_file_names_are_refused(
    client: FlaskClient, auth: Auth, draft: dict[str, Any], services: Services, name: str
) -> None:
    before = database_state(services)
    response = _put(client, auth("analyst"), draft["id"], name, b"<x/>", 1)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "name"
    assert database_state(services) == before


def test_validation_answers_as_post_validations_of_the_files(
    client: FlaskClient, auth: Auth, draft: dict[str, Any]
) -> None:
    clean = client.post(f"{API}/{draft['id']}/validations", headers=auth("analyst"))
    assert clean.status_code == 200 and clean.json["errors"] == []
    broken = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"import os")
    _put(client, auth("analyst"), draft["id"], "order_fix.bpmn", broken, 1)
    found = client.post(f"{API}/{draft['id']}/validations", headers=auth("analyst")).json
    files = {n: c for n, c in lifecycle_files().items() if n in {f["name"] for f in draft["files"]}}
    files["order_fix.bpmn"] = broken
    upload = client.post(
        "/api/v1/validations",
        data={"files": [(io.BytesIO(c), n) for n, c in files.items()]},
        headers=auth("analyst"),
        content_type="multipart/form-data",
    ).json
    assert found == upload and found["errors"]


def test_the_archive_is_a_zip_of_the_files(client: FlaskClient, auth: Auth, draft: dict[str, Any]) -> None:
    response = client.get(f"{API}/{draft['id']}/archive", headers=auth("analyst"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"order_review-draft-{draft['id']}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted(f["name"] for f in draft["files"])
        assert archive.read("review_rules.dmn") == lifecycle_files()["review_rules.dmn"]


def test_a_deleted_draft_answers_404(client: FlaskClient, auth: Auth, draft: dict[str, Any]) -> None:
    assert client.delete(f"{API}/{draft['id']}", headers=auth("analyst")).status_code == 204
    for method, path in (
        ("GET", ""),
        ("GET", "/files/order_fix.bpmn"),
        ("POST", "/validations"),
        ("GET", "/archive"),
        ("DELETE", ""),
    ):
        assert (
            client.open(f"{API}/{draft['id']}{path}", method=method, headers=auth("analyst")).status_code
            == 404
        )
    assert _put(client, auth("analyst"), draft["id"], "a.bpmn", b"", 1).status_code == 404
    unknown = client.post(API, json={"process_key": "order_review", "version": 7}, headers=auth("analyst"))
    assert unknown.status_code == 404


@pytest.mark.parametrize("who", ["staff", "manager"])
def test_staff_and_managers_get_403(
    client: FlaskClient, auth: Auth, draft: dict[str, Any], services: Services, who: str
) -> None:
    headers = auth(who)
    before = database_state(services)
    draft_id = draft["id"]
    requests = [
        ("POST", API, {"json": {"process_key": "order_review"}}),
        ("GET", API, {}),
        ("GET", f"{API}/{draft_id}", {}),
        ("GET", f"{API}/{draft_id}/files/order_fix.bpmn", {}),
        (
            "PUT",
            f"{API}/{draft_id}/files/order_fix.bpmn",
            {"data": b"<x/>", "headers": {**headers, "If-Match": "1"}},
        ),
        ("DELETE", f"{API}/{draft_id}/files/order_fix.bpmn", {"headers": {**headers, "If-Match": "1"}}),
        ("POST", f"{API}/{draft_id}/validations", {}),
        ("POST", f"{API}/{draft_id}/deployments", {"json": {"note": "x", "revision": 1}}),
        ("GET", f"{API}/{draft_id}/archive", {}),
        ("DELETE", f"{API}/{draft_id}", {}),
    ]
    for method, path, extra in requests:
        response = client.open(path, method=method, **{"headers": headers, **extra})
        assert response.status_code == 403, (method, path, response.json)
    assert database_state(services) == before
