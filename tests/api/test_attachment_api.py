"""Attachments through the API: uploads (multipart), lists, downloads and their headers, limits."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from attachment_files import MZ, PDF, image_bytes, noise_png
from flask.testing import FlaskClient
from openapi_check import CheckedClient
from PIL import Image
from sqlalchemy import func, select
from support import ANALYST, DATA

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.store.models import TABLES
from rma_orchestrator.web import create_app

Auth = Callable[[str], dict[str, str]]
API = "/api/v1"


@pytest.fixture
def claims(services: Services) -> Services:
    deploy(services, {p.name: p.read_bytes() for p in sorted((DATA / "attachments").iterdir())}, ANALYST)
    return services


def upload(
    client: FlaskClient, headers: dict[str, str], path: str, content: bytes, name: str = "a.jpg", **form: str
) -> Any:
    data: dict[str, Any] = {"file": (io.BytesIO(content), name, "image/jpeg"), **form}
    return client.post(f"{API}{path}", data=data, headers=headers, content_type="multipart/form-data")


def start(client: FlaskClient, auth: Auth, **data: Any) -> int:
    body = {"process_key": "photo_claim", "data": {"order_no": "SO-9", **data}}
    response = client.post(f"{API}/process-instances", json=body, headers=auth("staff"))
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def rows(services: Services) -> int:
    with services.database.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(TABLES["attachment"])).scalar_one())


@pytest.mark.parametrize(
    ("content", "content_type", "extension"),
    [
        (image_bytes("JPEG"), "image/jpeg", ".jpg"),
        (image_bytes("PNG"), "image/png", ".png"),
        (image_bytes("WEBP"), "image/webp", ".webp"),
        (PDF, "application/pdf", ".pdf"),
    ],
    ids=["jpeg", "png", "webp", "pdf"],
)
def test_an_upload_is_answered_and_sent_back_as_its_bytes_say(
    client: FlaskClient, auth: Auth, claims: Services, content: bytes, content_type: str, extension: str
) -> None:
    case = start(client, auth)
    response = upload(
        client, auth("staff"), f"/process-instances/{case}/attachments", content, "發票 01.bin", kind="photo"
    )
    assert response.status_code == 201, response.json
    info = response.json
    assert info["content_type"] == content_type and info["instance_id"] == case and info["kind"] == "photo"
    assert info["sha256"] == hashlib.sha256(content).hexdigest() and info["filename"] == "發票 01.bin"

    download = client.get(f"{API}/attachments/{info['id']}/content", headers=auth("warehouse"))
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == content_type
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"01.bin{extension}\"; filename*=UTF-8''%E7%99%BC%E7%A5%A8%2001.bin"
    )
    assert download.headers["ETag"] == f'"{info["sha256"]}"'
    again = client.get(
        f"{API}/attachments/{info['id']}/content",
        headers={**auth("warehouse"), "If-None-Match": download.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""

    thumbnail = client.get(f"{API}/attachments/{info['id']}/thumbnail", headers=auth("staff"))
    if content_type == "application/pdf":
        assert thumbnail.status_code == 404 and info["has_thumbnail"] is False
    else:
        assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
        assert thumbnail.headers["Content-Disposition"].startswith('inline; filename="01-thumbnail.jpg"')
        with Image.open(io.BytesIO(thumbnail.data)) as image:
            assert image.format == "JPEG" and image.size == (40, 30)
    listed = client.get(f"{API}/process-instances/{case}/attachments", headers=auth("analyst")).json
    assert listed["total"] == 1 and listed["items"] == [info]


def test_a_program_named_like_a_photo_is_refused_and_kept_nowhere(
    client: FlaskClient, auth: Auth, claims: Services
) -> None:
    case = start(client, auth)
    for content in (MZ, b"\x89PNG\r\n\x1a\n" + b"junk" * 50, b""):
        response = upload(client, auth("staff"), f"/process-instances/{case}/attachments", content, "cat.jpg")
        assert response.status_code == 400
        assert response.json["errors"][0]["field"] == "file"
    assert rows(claims) == 0
    assert not (claims.settings.data_dir / "attachments").exists()


def test_a_missing_file_part_or_an_unknown_kind_is_400(
    client: FlaskClient, auth: Auth, claims: Services
) -> None:
    response = client.post(
        f"{API}/attachments",
        data={"kind": "photo"},
        headers=auth("staff"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "file"
    response = upload(client, auth("staff"), "/attachments", PDF, kind="selfie")
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "kind"


@pytest.fixture
def small_limit(claims: Services) -> FlaskClient:
    """A client of an app whose uploads may be 16 KB at most."""
    limited = replace(claims, settings=replace(claims.settings, max_upload_mb=1 / 64))
    app = create_app(services=limited)
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app.test_client()


def test_an_upload_over_the_limit_is_refused_saying_the_limit(small_limit: FlaskClient, auth: Auth) -> None:
    just_over = noise_png(80)  # about 19 KB: within the multipart slack, refused by the service
    assert 16 * 1024 < len(just_over) < 64 * 1024
    response = upload(small_limit, auth("staff"), "/attachments", just_over)
    assert response.status_code == 400
    assert response.json["errors"][0] == {
        "field": "file",
        "message": "the file is larger than the limit of 0.015625 MB",
    }
    far_over = noise_png(200)  # about 120 KB: refused from its Content-Length, before it is read
    response = upload(small_limit, auth("staff"), "/attachments", far_over)
    assert response.status_code == 413
    assert response.json == {"errors": [{"message": "the file is larger than the limit of 0.015625 MB"}]}
    assert upload(small_limit, auth("staff"), "/attachments", PDF).status_code == 201


def test_a_staged_upload_goes_with_the_start_that_names_it(
    client: FlaskClient, auth: Auth, claims: Services
) -> None:
    staged = upload(client, auth("staff"), "/attachments", image_bytes("PNG"), "front.png", kind="photo")
    assert staged.status_code == 201 and staged.json["instance_id"] is None
    staged_id = staged.json["id"]
    assert client.get(f"{API}/attachments/{staged_id}", headers=auth("staff")).json["id"] == staged_id
    for other in ("manager", "warehouse"):
        assert client.get(f"{API}/attachments/{staged_id}/content", headers=auth(other)).status_code == 404
    theirs = upload(client, auth("manager"), "/attachments", PDF, "r.pdf").json["id"]
    body = {"process_key": "photo_claim", "data": {"order_no": "SO-1", "photos": [staged_id, theirs]}}
    refused = client.post(f"{API}/process-instances", json=body, headers=auth("staff"))
    assert refused.status_code == 400 and [e["field"] for e in refused.json["errors"]] == ["photos.1"]
    case = start(client, auth, photos=[staged_id])
    listed = client.get(f"{API}/process-instances/{case}/attachments", headers=auth("manager")).json
    assert [a["id"] for a in listed["items"]] == [staged_id] and listed["items"][0]["instance_id"] == case
    assert client.get(f"{API}/attachments/{staged_id}/content", headers=auth("manager")).status_code == 200


def test_unknown_and_unauthenticated(client: FlaskClient, auth: Auth, claims: Services) -> None:
    assert client.get(f"{API}/attachments/424242/content", headers=auth("staff")).status_code == 404
    assert client.get(f"{API}/attachments/424242/thumbnail", headers=auth("staff")).status_code == 404
    assert client.get(f"{API}/process-instances/424242/attachments", headers=auth("staff")).status_code == 404
    assert upload(client, auth("staff"), "/process-instances/424242/attachments", PDF).status_code == 404
    assert client.get(f"{API}/attachments/1/content").status_code == 401
    assert upload(client, {}, "/attachments", PDF).status_code == 401
    assert upload(client, auth("analyst"), "/attachments", PDF).status_code == 403
    assert rows(claims) == 0


def test_an_ended_case_takes_no_upload(client: FlaskClient, auth: Auth, claims: Services) -> None:
    case = start(client, auth)
    assert client.post(f"{API}/process-instances/{case}/cancel", headers=auth("manager")).status_code == 200
    response = upload(client, auth("staff"), f"/process-instances/{case}/attachments", PDF)
    assert response.status_code == 409 and "ended" in response.json["errors"][0]["message"]
