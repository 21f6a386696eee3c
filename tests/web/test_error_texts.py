"""The service's errors on the pages in the page's language, while the API keeps the English message:
a Chinese manager cancelling a case that was cancelled meanwhile, opening a case that does not exist,
staff opening a manager's page; and every error code has a page text whose placeholders it fills."""

from __future__ import annotations

import html
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from page_client import csrf_token
from support import MANAGER, database_state

import rma_orchestrator.web
from rma_orchestrator.errors import MESSAGES, Conflict
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.users import create_token
from rma_orchestrator.web.error_texts import TEXTS, error_text

CATALOGUE = Path(rma_orchestrator.web.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
REASON = "客户来电要求 Customer phoned"


def refusal(page: str) -> str:
    found = re.search(r'<p class="form-error" role="alert" data-refused="[^"]+">([^<]*)</p>', page)
    assert found, "the page shows no refusal"
    return html.unescape(found.group(1))


def error_message(page: str) -> str:
    found = re.search(r'<section class="error-page">.*?</h1>\s*<p>([^<]*)</p>', page, re.S)
    assert found, "not the error page"
    return html.unescape(found.group(1))


def cancel(client: FlaskClient, instance_id: int) -> tuple[int, str]:
    token = csrf_token(client, "/monitor/instances")
    answer = client.post(
        f"/monitor/instances/{instance_id}/cancel", data={"csrf_token": token, "reason": REASON}
    )
    return answer.status_code, answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh", "案件已被更改：案件已经结束（已取消）。"),
        ("en", "The case changed meanwhile: The case has already ended (Cancelled)."),
    ],
)
def test_cancelling_a_case_cancelled_meanwhile_says_so_in_the_page_s_language(
    language: str,
    expected: str,
    start_order: Callable[..., InstanceInfo],
    services: Services,
    signed_in: Callable[..., FlaskClient],
) -> None:
    manager = signed_in("manager", language)
    instance = start_order(amount=500)
    assert cancel(manager, instance.id)[0] == 302
    before = database_state(services)
    status, page = cancel(manager, instance.id)  # from a page opened before the first cancel
    assert status == 409
    assert refusal(page) == expected
    assert database_state(services) == before
    assert get_instance(services, instance.id, MANAGER).status == "cancelled"


def test_the_api_keeps_the_english_message(
    app: Flask, start_order: Callable[..., InstanceInfo], services: Services, add_people: Callable[[str], str]
) -> None:
    token = create_token(services, add_people("manager"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh"}
    instance = start_order(amount=500)
    body = {"reason": REASON}
    assert (
        client.post(f"/api/v1/process-instances/{instance.id}/cancel", json=body, headers=headers).status_code
        == 200
    )
    again = client.post(f"/api/v1/process-instances/{instance.id}/cancel", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json == {"errors": [{"message": f"instance {instance.id} has already ended (cancelled)"}]}
    missing = client.get("/api/v1/process-instances/999999", headers=headers)
    assert missing.json == {"errors": [{"message": "process instance 999999 not found"}]}


def test_a_missing_case_and_a_manager_s_page_refused_to_staff_are_said_in_chinese(
    deployed: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    manager = signed_in("manager", "zh")
    missing = manager.get("/monitor/instances/999999")
    assert missing.status_code == 404
    assert error_message(missing.get_data(as_text=True)) == "没有编号为 999999 的案件。"
    staff = signed_in("staff", "zh")
    refused = staff.get("/monitor/instances")
    assert refused.status_code == 403
    assert error_message(refused.get_data(as_text=True)) == "cs1（员工）无权执行此操作：需要经理角色。"


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def test_every_error_code_has_a_page_text_in_both_languages_that_its_parameters_fill(app: Flask) -> None:
    assert set(TEXTS) == set(MESSAGES)
    with CATALOGUE.open("rb") as po:
        chinese = {m.id: m.string for m in read_po(po) if m.id}
    for code, english in MESSAGES.items():
        parameters = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        with app.test_request_context(headers={"Accept-Language": "en"}):
            page_text = str(TEXTS[code])  # English pages show the msgid itself
        assert _placeholders(page_text) <= parameters, code
        assert chinese.get(page_text), f"{code}: no Chinese text"
        assert _placeholders(chinese[page_text]) <= parameters, code


def test_an_error_without_a_code_keeps_the_service_s_message(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert error_text(Conflict("something else happened")) == "something else happened"
        assert error_text(Conflict.of("incident_resolved", incident=4)) == "该故障已经解决。"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert (
            error_text(Conflict.of("incident_resolved", incident=4))
            == "The incident has already been resolved."
        )
