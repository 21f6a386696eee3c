"""Task forms rendered as accessible, escaped HTML from their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from formpost import fragment

from rma_orchestrator.web.forms import field_id, render_form

FORMS = Path(__file__).parents[3] / "forms"
TZ = "Asia/Shanghai"


def _schema(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _render(schema: dict[str, Any], data: dict[str, Any] | None = None, **kw: Any) -> str:
    kw.setdefault("locale", "zh_CN")
    kw.setdefault("tz_name", TZ)
    return str(render_form(schema, data or {}, **kw))


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.stem)
def test_every_control_of_every_form_has_a_label_and_a_unique_id(app: Flask, path: Path) -> None:
    schema = _schema(path)
    tree = fragment(_render(schema, schema["examples"][0]))
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    controls = [
        c for c in tree.iter("input", "select", "textarea") if c.get("type") not in ("hidden", "submit")
    ]
    assert controls
    labels = {label.get("for") for label in tree.iter("label")}
    for control in controls:
        assert control.get("id") in labels, control.get("name")
    for element in tree.iter():
        for ref in (element.get("aria-describedby") or "").split():
            assert ref in ids, ref
    top_required = set(schema["required"])
    for name in top_required:
        kind = schema["properties"][name]
        if kind.get("type") in ("string", "integer") and "enum" not in kind:
            (control,) = tree.xpath(f'//*[@name="{name}"]')
            assert control.get("required") is not None and control.get("aria-required") == "true"


def test_labels_and_help_are_in_the_page_language(app: Flask) -> None:
    schema = _schema(FORMS / "return_refund.json")
    chinese = fragment(_render(schema, locale="zh_CN"))
    english = fragment(_render(schema, locale="en"))
    assert chinese.xpath('string(//label[@for="f-payment_reference"])').startswith("退款流水号")
    assert english.xpath('string(//label[@for="f-payment_reference"])').startswith("Payment reference")
    assert english.xpath('string(//p[@id="f-payment_reference-help"])') == (
        "The refund's reference at the payment provider, without spaces."
    )
    assert chinese.xpath('string(//p[@id="f-payment_reference-help"])') == "支付渠道的退款流水号，不含空格。"


def test_an_error_is_tied_to_its_input(app: Flask) -> None:
    schema = _schema(FORMS / "repair_quote.json")
    data = schema["examples"][0]
    errors = [
        {"field": "quote_parts.0.quantity", "message": "请输入不大于 99 的值。"},
        {"field": "", "message": "整体"},
    ]
    tree = fragment(_render(schema, data, errors=errors))
    (control,) = tree.xpath('//input[@name="quote_parts.0.quantity"]')
    assert control.get("aria-invalid") == "true"
    assert control.get("aria-describedby") == "f-quote_parts-0-quantity-help f-quote_parts-0-quantity-error"
    assert tree.xpath('string(//*[@id="f-quote_parts-0-quantity-error"])') == "请输入不大于 99 的值。"
    assert "field-error" in tree.xpath('//*[@id="f-quote_parts-0-quantity-error"]')[0].get("class")
    assert tree.xpath('string(//*[@id="form-errors"])').strip() == "整体"
    (other,) = tree.xpath('//input[@name="quote_valid_days"]')
    assert other.get("aria-invalid") is None


def test_inputs_follow_the_schema(app: Flask) -> None:
    schema = {
        "type": "object",
        "required": ["kind", "tags", "ok", "count"],
        "properties": {
            "kind": {"title": "类型 Kind", "enum": ["a", "b"], "ui:widget": "radio"},
            "tags": {
                "title": "标签 Tags",
                "type": "array",
                "items": {"enum": ["x", "y"]},
                "uniqueItems": True,
            },
            "ok": {"title": "确认 OK", "type": "boolean", "const": True},
            "count": {"title": "数量 Count", "type": "integer", "minimum": 1, "maximum": 9},
            "ratio": {"type": "number", "multipleOf": 0.5},
            "price": {"type": "string", "ui:widget": "money", "pattern": "^[0-9]+\\.[0-9]{2}$"},
            "note": {"type": "string", "ui:widget": "textarea", "ui:placeholder": "写点什么 Write something"},
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "mail": {"type": "string", "format": "email", "ui:help": "工作邮箱 Work address"},
            "fixed": {"type": "string", "readOnly": True},
            "choice": {"enum": [1, 2]},
        },
        "ui:order": ["count", "kind"],
    }
    data = {
        "kind": "b",
        "tags": ["y"],
        "count": 3,
        "when": "2026-11-20T06:30:00Z",
        "note": "a\nb",
        "fixed": "x",
    }
    html = _render(schema, data, locale="en")
    tree = fragment(html)
    names = [c.get("name") for c in tree.iter("input", "select", "textarea") if c.get("type") != "hidden"]
    assert names[:2] == ["count", "kind"]  # ui:order first
    (legend,) = tree.xpath('//fieldset[@id="f-kind"]/legend')
    assert legend.text.strip() == "Kind"
    radios = tree.xpath('//fieldset[@id="f-kind"]//input[@type="radio"]')
    assert [(r.get("value"), r.get("checked") is not None) for r in radios] == [("a", False), ("b", True)]
    assert all(tree.xpath(f'//label[@for="{r.get("id")}"]') for r in radios)
    boxes = tree.xpath('//fieldset[@id="f-tags"]//input[@type="checkbox"]')
    assert [(b.get("value"), b.get("checked") is not None) for b in boxes] == [("x", False), ("y", True)]
    (ok,) = tree.xpath('//input[@name="ok"]')
    assert ok.get("type") == "checkbox" and ok.get("required") is not None and ok.get("checked") is None
    (count,) = tree.xpath('//input[@name="count"]')
    assert (count.get("type"), count.get("min"), count.get("max"), count.get("step"), count.get("value")) == (
        "number",
        "1",
        "9",
        "1",
        "3",
    )
    assert tree.xpath('//input[@name="ratio"]')[0].get("step") == "0.5"
    assert tree.xpath('//input[@name="price"]')[0].get("inputmode") == "decimal"
    (note,) = tree.xpath('//textarea[@name="note"]')
    assert (note.text, note.get("placeholder")) == ("a\nb", "Write something")
    (when,) = tree.xpath('//input[@name="when"]')
    assert (when.get("type"), when.get("value")) == ("datetime-local", "2026-11-20T14:30")
    assert "Asia/Shanghai" in tree.xpath('string(//label[@for="f-when"])')
    assert tree.xpath('//input[@name="day"]')[0].get("type") == "date"
    (mail,) = tree.xpath('//input[@name="mail"]')
    assert mail.get("type") == "email" and tree.xpath('string(//*[@id="f-mail-help"])') == "Work address"
    assert tree.xpath('//input[@name="fixed"]')[0].get("readonly") is not None
    options = tree.xpath('//select[@name="choice"]/option')
    assert [o.get("value") for o in options] == ["", "1", "2"]


def test_read_only_choices_are_shown_disabled_and_sent_back_hidden(app: Flask) -> None:
    schema = _schema(FORMS / "rma_case_review.json")
    tree = fragment(_render(schema, {"eligible": False, "approved": True}))
    (box,) = tree.xpath('//input[@type="checkbox"][@name="eligible"]')
    assert box.get("disabled") is not None and box.get("checked") is None
    (hidden,) = tree.xpath('//input[@type="hidden"][@name="eligible"]')
    assert hidden.get("value") == "false"


def test_file_fields_upload_and_keep_their_attachments(app: Flask) -> None:
    schema = {
        "type": "object",
        "properties": {
            "photos": {
                "title": "照片 Photos",
                "type": "array",
                "items": {"type": "integer"},
                "ui:widget": "file",
                "ui:kind": "photo",
            }
        },
    }
    tree = fragment(_render(schema, {"photos": [7, 9]}, attachment_names={7: "front <1>.jpg"}, locale="en"))
    (upload,) = tree.xpath('//input[@type="file"]')
    assert (upload.get("name"), upload.get("multiple")) == ("photos", "multiple")
    assert upload.get("accept") == "image/jpeg,image/png,image/webp,application/pdf"
    assert tree.xpath('//label[@for="f-photos"]')
    kept = tree.xpath('//input[@type="hidden"][@name="photos"]')
    assert [k.get("value") for k in kept] == ["7", "9"]
    assert [li.text_content() for li in tree.xpath("//ul[@class='attachments']/li")] == [
        "front <1>.jpg",
        "#9",
    ]
    assert tree.xpath("//*[@data-kind='photo']")


def test_rows_have_add_and_remove_buttons_without_script(app: Flask) -> None:
    schema = _schema(FORMS / "repair_quote.json")
    data = {"quote_parts": [{"name": "A"}, {"name": "B"}]}
    html = _render(schema, data, locale="en")
    tree = fragment(html)
    assert "<script" not in html
    (add,) = tree.xpath('//button[@name="_add_row"]')
    assert (add.get("type"), add.get("value")) == ("submit", "quote_parts")
    assert add.get("formnovalidate") is not None
    removes = tree.xpath('//button[@name="_remove_row"]')
    assert [r.get("value") for r in removes] == ["quote_parts.0", "quote_parts.1"]
    assert [li.get("class") for li in tree.xpath('//fieldset[@id="f-quote_parts"]//li')] == ["row", "row"]
    assert tree.xpath('//input[@name="quote_parts._rows"]')[0].get("value") == "2"
    assert tree.xpath('string(//fieldset[@id="f-quote_parts-1"]/legend)') == "Part 2"


def test_everything_is_escaped(app: Flask) -> None:
    schema = {
        "type": "object",
        "properties": {
            "x": {"title": "坏 <b>bad</b>", "type": "string", "description": '"><script>。 "><script>.'}
        },
    }
    html = _render(schema, {"x": '"><img src=x onerror=alert(1)>'}, errors=[{"field": "x", "message": "<i>"}])
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    (control,) = fragment(html).xpath('//input[@name="x"]')
    assert control.get("value") == '"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    "name, expected", [("a", "f-a"), ("a.0.b", "f-a-0-b"), ("", "f-form"), ("a b", "f-a_20_b")]
)
def test_field_ids_are_safe(name: str, expected: str) -> None:
    assert field_id(name) == expected


@pytest.mark.parametrize(
    ("locale", "shown"), [("zh_CN", "客户自行寄回"), ("en", "The customer ships the goods")]
)
def test_enum_values_show_their_labels_in_the_page_language(app: Flask, locale: str, shown: str) -> None:
    schema = _schema(FORMS / "rma_case_review.json")
    form = fragment(_render(schema, {"return_method": "customer_ships"}, locale=locale))
    (option,) = form.xpath("//select[@name='return_method']/option[@value='customer_ships']")
    assert option.text_content().strip() == shown and option.get("selected") is not None
