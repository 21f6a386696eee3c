"""Field errors phrased in the page's language, from the service's structured problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from rma_orchestrator.engine.form_schema import form_validator
from rma_orchestrator.errors import InvalidData
from rma_orchestrator.web.forms import field_errors, form_texts, parse_form, phrase
from rma_orchestrator.web.forms.messages import PHRASES

FORMS = Path(__file__).parents[3] / "forms"
CATALOGUE = Path(__file__).parents[3] / "src/rma_orchestrator/web/translations/zh/LC_MESSAGES/messages.po"


def _invalid(form: str, data: dict[str, Any]) -> InvalidData:
    from rma_orchestrator.service.forms import validate_data

    schema = json.loads((FORMS / form).read_text())
    with pytest.raises(InvalidData) as caught:
        validate_data(form, form_validator(schema), data)
    return caught.value


def _by_field(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["field"]: item["message"] for item in items}


def test_the_api_items_keep_their_shape_and_problems_add_the_keyword(app: Flask) -> None:
    invalid = _invalid("return_refund.json", {"paid": False, "payment_reference": "a b", "extra": 1})
    assert all(set(item) == {"field", "message"} for item in invalid.items)
    assert _by_field(invalid.items)["paid_at"] == "paid_at is required"
    keywords = {(p["field"], p["keyword"]) for p in invalid.problems}
    assert keywords == {
        ("", "additionalProperties"),
        ("paid", "const"),
        ("payment_reference", "pattern"),
        ("paid_at", "required"),
    }
    assert [p["params"] for p in invalid.problems if p["keyword"] == "additionalProperties"] == [
        {"names": ["extra"]}
    ]


def test_errors_in_chinese_and_in_english(app: Flask) -> None:
    invalid = _invalid("return_refund.json", {"paid": False, "payment_reference": "a b", "extra": 1})
    chinese = _by_field(field_errors(invalid, "zh_CN"))
    english = _by_field(field_errors(invalid, "en"))
    assert chinese == {
        "": "以下字段不属于此表单：extra。",
        "paid": "必须勾选此项。",
        "payment_reference": "此值的格式不正确。",
        "paid_at": "此项为必填项。",
    }
    assert english == {
        "": "These fields are not part of the form: extra.",
        "paid": "This box must be ticked.",
        "payment_reference": "This value is not in the expected form.",
        "paid_at": "This field is required.",
    }


@pytest.mark.parametrize(
    "form, data, field, chinese, english",
    [
        (
            "rma_case_survey_call.json",
            {"survey_reached": True, "survey_score": 9},
            "survey_score",
            "请输入不大于 5 的值。",
            "Enter 5 or less.",
        ),
        (
            "rma_case_survey_call.json",
            {"survey_reached": True, "survey_score": 0},
            "survey_score",
            "请输入不小于 1 的值。",
            "Enter 1 or more.",
        ),
        (
            "rma_case_survey_call.json",
            {"survey_reached": True, "survey_score": "4"},
            "survey_score",
            "请输入整数。",
            "Enter a whole number.",
        ),
        (
            "complaint_escalation.json",
            {"complaint_escalation_action": "x", "complaint_escalation_note": ""},
            "complaint_escalation_action",
            "请从列出的选项中选择一项。",
            "Choose one of the listed values.",
        ),
        (
            "complaint_escalation.json",
            {"complaint_escalation_action": "other", "complaint_escalation_note": ""},
            "complaint_escalation_note",
            "请至少输入 1 个字符。",
            "Enter at least 1 characters.",
        ),
        (
            "rma_case_survey_call.json",
            {"survey_reached": False, "survey_comment": "x" * 2001},
            "survey_comment",
            "最多输入 2000 个字符。",
            "Enter at most 2000 characters.",
        ),
        ("exchange_inspection.json", {"photos": []}, "photos", "请至少提供 1 项。", "Give at least 1."),
        (
            "exchange_inspection.json",
            {"photos": ["a", "a"]},
            "photos",
            "每一项只能出现一次。",
            "Each entry may appear only once.",
        ),
    ],
)
def test_each_keyword_in_both_languages(
    app: Flask, form: str, data: dict[str, Any], field: str, chinese: str, english: str
) -> None:
    invalid = _invalid(form, data)
    assert chinese in [e["message"] for e in field_errors(invalid, "zh_CN") if e["field"] == field]
    assert english in [e["message"] for e in field_errors(invalid, "en") if e["field"] == field]


def test_a_format_error_from_the_validator_is_phrased(app: Flask) -> None:
    from rma_orchestrator.service.forms import validate_data

    schema = {"type": "object", "properties": {"mail": {"type": "string", "format": "email"}}}
    with pytest.raises(InvalidData) as caught:
        validate_data("mail.json", form_validator(schema), {"mail": "nope"})
    assert caught.value.problems[0]["params"] == {"format": "email"}
    assert field_errors(caught.value, "zh_CN") == [{"field": "mail", "message": "请输入电子邮箱地址。"}]
    assert field_errors(caught.value, "en") == [{"field": "mail", "message": "Enter an e-mail address."}]


def test_date_and_date_time_formats_are_phrased(app: Flask) -> None:
    assert phrase({"keyword": "format", "params": {"format": "date-time"}}, "zh_CN") == "请输入日期和时间。"
    assert (
        phrase({"keyword": "format", "params": {"format": "date"}}, "en") == "Enter a date (year-month-day)."
    )
    assert phrase({"keyword": "format", "params": {"format": "uri"}}, "zh_CN") == "请输入网址（URL）。"


def test_an_unknown_keyword_keeps_the_english_message(app: Flask) -> None:
    problem = {
        "field": "a",
        "keyword": "dependentRequired",
        "params": {},
        "message": "b is a dependency of a",
    }
    assert phrase(problem, "zh_CN") == "b is a dependency of a"
    plain = InvalidData("data must be a JSON object")
    assert field_errors(plain, "zh_CN") == [{"field": "", "message": "data must be a JSON object"}]


def test_parse_errors_are_phrased_too(app: Flask) -> None:
    schema = json.loads((FORMS / "repair_work.json").read_text())
    from werkzeug.datastructures import MultiDict

    parsed = parse_form(schema, MultiDict([("repair_days", "三")]), "Asia/Shanghai")
    assert field_errors(parsed.errors, "zh_CN") == [{"field": "repair_days", "message": "请输入整数。"}]


def test_the_form_words_are_translated(app: Flask) -> None:
    assert form_texts("zh_CN") == {
        "required": "必填",
        "choose": "请选择…",
        "add": "添加一行",
        "remove": "删除",
        "attached": "已上传的文件",
    }
    assert form_texts("en")["add"] == "Add a row"


def test_the_catalogue_translates_every_message_and_declares_its_plural_forms() -> None:
    with CATALOGUE.open("rb") as source:
        catalog = read_po(source)
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert len(PHRASES) >= 15
