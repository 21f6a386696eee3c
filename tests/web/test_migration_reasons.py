"""Why a case cannot move, in the page's language: the migrate page shows each reason's translation
(Chinese on zh pages) from its code and parameters, while the API keeps the English sentence; every
reason code the engine or the service gives has a text on the pages, in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from migration_cases import deploy_return, deploy_version_1, start_return, without_reminder

from rma_orchestrator.engine.move_reasons import REASONS, MoveReason
from rma_orchestrator.service.context import Services
from rma_orchestrator.web.modeler.reason_texts import TEXTS, reason_text

SignedIn = Callable[..., FlaskClient]
PARAMS: dict[str, str | int] = {
    "element": "goods_reminder_due (7-day reminder)",
    "process": "return",
    "version": 2,
    "state": "waiting",
    "kind": "UserTask",
    "was": "ScriptTask",
    "called": "return",
    "field": "customer.phone",
    "form": "rma_intake.json",
    "status": "completed",
}


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        ("en", "Element goods_reminder_due", "元素"),
        ("zh-CN", "return 的元素 goods_reminder_due", "has no such element"),
    ],
)
def test_the_migrate_page_says_why_a_case_cannot_move_in_its_language(
    services: Services, signed_in: SignedIn, language: str, expected: str, not_expected: str
) -> None:
    deploy_version_1(services)
    case = start_return(services, f"SO-{language}")
    deploy_return(services, without_reminder())
    page = signed_in("analyst", language).get("/modeler/processes/return/migrate?from=1&to=2")
    assert page.status_code == 200
    row = re.search(
        rf'<tr data-instance="{case.id}" data-movable="no">(.*?)</tr>', page.get_data(as_text=True), re.S
    )
    assert row
    reasons = re.findall(r'<div data-reason="element_removed_now">(.*?)</div>', row.group(1))
    assert any(expected in reason for reason in reasons), reasons
    assert not any(not_expected in reason for reason in reasons)
    if language == "zh-CN":
        assert any("等待中" in reason for reason in reasons)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_code_has_a_text_in_both_languages(app: Flask, code: str) -> None:
    assert code in TEXTS
    reason = MoveReason(code, PARAMS)
    assert reason.text == REASONS[code].format(**PARAMS)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = reason_text(reason)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = reason_text(reason)
    assert english and chinese and english != chinese
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    for name in re.findall(r"{(\w+)}", REASONS[code]):
        if name not in ("state", "status"):  # named as the pages name them
            assert str(PARAMS[name]) in chinese, (name, chinese)
