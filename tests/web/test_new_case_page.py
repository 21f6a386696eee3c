"""``/cases/new``: a case registered from the page, with a photo and a proof of purchase."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from formpost import posted
from page_client import csrf_token
from PIL import Image
from rma_cases import case_data, deploy_rma
from support import MANAGER

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import start_form
from rma_orchestrator.service.instances import list_instances
from rma_orchestrator.web.forms import render_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    return services


def filled_form(app: Flask, services: Services, client: FlaskClient) -> dict[str, object]:
    """What the browser posts for the start form filled with a realistic case."""
    schema = start_form(services, "rma_case", MANAGER).schema
    assert schema is not None
    with app.test_request_context():
        markup = render_form(schema, case_data(services), [], "en")
    form: dict[str, object] = {}
    for name, value in posted(markup).items(multi=True):
        form.setdefault(name, []).append(value)  # type: ignore[union-attr]
    form["csrf_token"] = csrf_token(client, "/cases/new")
    return form


def test_a_case_registered_with_a_photo_shows_its_decision_and_first_task(
    app: Flask, rma: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    client = signed_in("staff")
    assert 'type="file"' in client.get("/cases/new").get_data(as_text=True)
    form = filled_form(app, rma, client)
    form["photos"] = [(io.BytesIO(png()), "kettle.png")]
    form["proof_of_purchase"] = [(io.BytesIO(PDF), "receipt.pdf")]
    answer = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "registered" in page and "eligible" in page
    assert "kettle.png" in page and "Proof of purchase" in page
    assert "/tasks/" in page  # the first task, one click away


def test_a_forbidden_file_is_refused_at_its_field_and_no_case_is_made(
    app: Flask, rma: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    client = signed_in("staff")
    form = filled_form(app, rma, client)
    form["photos"] = [(io.BytesIO(b"MZ\x90\x00 not a picture"), "kettle.jpg")]
    answer = client.post("/cases/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "not accepted" in page and 'id="f-photos-error"' in page
    assert 'value="李娜 Li Na"' in page  # what was typed is kept
    assert list_instances(rma, MANAGER).total == 0
