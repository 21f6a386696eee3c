"""A posted task form reads back as the typed data its schema describes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from formpost import fragment, posted
from werkzeug.datastructures import FileStorage, MultiDict

from rma_orchestrator.web.forms import parse_form, render_form

FORMS = Path(__file__).parents[3] / "forms"
TZ = "Asia/Shanghai"
EXAMPLES = [
    pytest.param(path, index, id=f"{path.stem}-{index}")
    for path in sorted(FORMS.glob("*.json"))
    for index in range(len(json.loads(path.read_text())["examples"]))
]


def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads((FORMS / name).read_text()))


def _render(schema: dict[str, Any], data: dict[str, Any], **kw: Any) -> str:
    return str(render_form(schema, data, locale=kw.pop("locale", "en"), tz_name=TZ, **kw))


@pytest.mark.parametrize("path, index", EXAMPLES)
def test_render_then_post_gives_the_example_back(app: Flask, path: Path, index: int) -> None:
    schema = json.loads(path.read_text())
    example = schema["examples"][index]
    parsed = parse_form(schema, posted(_render(schema, example)), TZ)
    assert parsed.errors == []
    assert parsed.row_action is None
    assert parsed.data == example


def test_posted_text_becomes_the_schema_types(app: Flask) -> None:
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "whole": {"type": "number"},
            "ok": {"type": "boolean"},
            "tags": {"type": "array", "items": {"enum": ["x", "y", "z"]}},
            "levels": {"type": "array", "items": {"enum": [1, 2, 3]}},
            "pick": {"enum": [1, 2]},
            "price": {"type": "string", "ui:widget": "money", "pattern": "^[0-9]+\\.[0-9]{2}$"},
            "note": {"type": "string", "ui:widget": "textarea"},
            "empty": {"type": "string"},
            "when": {"type": "string", "format": "date-time"},
            "zoned": {"type": "string", "format": "date-time"},
        },
    }
    form = MultiDict(
        [
            ("count", " 42 "),
            ("ratio", "2.5"),
            ("whole", "3"),
            ("tags", "z"),
            ("tags", "x"),
            ("levels", "3"),
            ("pick", "2"),
            ("price", "120.00"),
            ("note", "line one\r\nline two"),
            ("empty", ""),
            ("when", "2026-05-20T10:00"),
            ("zoned", "2026-05-20T10:00:00Z"),
        ]
    )
    parsed = parse_form(schema, form, TZ)
    assert parsed.errors == []
    assert parsed.data == {
        "count": 42,
        "ratio": 2.5,
        "whole": 3,
        "ok": False,  # an unticked checkbox
        "tags": ["z", "x"],
        "levels": [3],
        "pick": 2,
        "price": "120.00",
        "note": "line one\nline two",
        "when": "2026-05-20T10:00:00+08:00",
        "zoned": "2026-05-20T10:00:00+00:00",
    }
    assert parse_form(schema, form, "Europe/Berlin").data["when"] == "2026-05-20T10:00:00+02:00"


def test_what_does_not_parse_is_an_error_and_is_shown_again_as_typed(app: Flask) -> None:
    schema = _schema("repair_quote.json")
    form = MultiDict(
        [
            ("quote_amount", "180.00"),
            ("quote_parts._rows", "1"),
            ("quote_parts.0.name", "电源板"),
            ("quote_parts.0.quantity", "abc"),
            ("quote_parts.0.unit_price", "120.00"),
            ("quote_valid_days", "7"),
        ]
    )
    parsed = parse_form(schema, form, TZ)
    assert parsed.errors == [
        {
            "field": "quote_parts.0.quantity",
            "keyword": "type",
            "params": {"type": "integer"},
            "message": "'abc' is not of type 'integer'",
        }
    ]
    assert parsed.data["quote_parts"] == [{"name": "电源板", "quantity": "abc", "unit_price": "120.00"}]
    errors = [{"field": "quote_parts.0.quantity", "message": "Enter a whole number."}]
    tree = fragment(_render(schema, parsed.data, errors=errors))
    (control,) = tree.xpath('//input[@name="quote_parts.0.quantity"]')
    assert control.get("value") == "abc" and control.get("aria-invalid") == "true"
    assert tree.xpath('//input[@name="quote_parts.0.name"]')[0].get("value") == "电源板"


def test_a_bad_date_time_is_reported_not_raised(app: Flask) -> None:
    parsed = parse_form(_schema("rma_case_start.json"), MultiDict([("reported_at", "2026-13-45T99:00")]), TZ)
    assert parsed.data["reported_at"] == "2026-13-45T99:00"
    found = [(e["field"], e["keyword"], e["params"]) for e in parsed.errors if e["field"] == "reported_at"]
    assert found == [("reported_at", "format", {"format": "date-time"})]


def test_adding_a_row_keeps_everything_typed(app: Flask) -> None:
    schema = _schema("repair_quote.json")
    first = {"quote_amount": "1.00", "quote_parts": [{"name": "A", "quantity": 2, "unit_price": "0.50"}]}
    form = posted(_render(schema, first), press=("_add_row", "quote_parts"))
    form["quote_note"] = "typed before pressing"
    parsed = parse_form(schema, form, TZ)
    assert (parsed.row_action.action, parsed.row_action.path) == ("add", "quote_parts")  # type: ignore[union-attr]
    changed = parsed.rows_changed()
    assert changed["quote_parts"] == [{"name": "A", "quantity": 2, "unit_price": "0.50"}, {}]
    assert changed["quote_note"] == "typed before pressing"
    tree = fragment(_render(schema, changed))
    assert tree.xpath('//input[@name="quote_parts._rows"]')[0].get("value") == "2"
    assert tree.xpath('//input[@name="quote_parts.0.name"]')[0].get("value") == "A"
    assert tree.xpath('//input[@name="quote_parts.1.name"]')[0].get("value") == ""
    assert tree.xpath('//input[@name="quote_note"]')[0].get("value") == "typed before pressing"


def test_removing_a_row_keeps_the_others_in_order(app: Flask) -> None:
    schema = _schema("repair_quote.json")
    rows = [{"name": n, "quantity": 1, "unit_price": "1.00"} for n in ("A", "B", "C")]
    form = posted(_render(schema, {"quote_parts": rows}), press=("_remove_row", "quote_parts.1"))
    parsed = parse_form(schema, form, TZ)
    assert [row["name"] for row in parsed.rows_changed()["quote_parts"]] == ["A", "C"]
    assert [row["name"] for row in parsed.data["quote_parts"]] == ["A", "B", "C"]


def test_rows_of_plain_values_are_added_and_removed(app: Flask) -> None:
    schema = _schema("repair_work.json")
    form = posted(_render(schema, {"parts_used": ["P1", "P2"]}), press=("_add_row", "parts_used"))
    parsed = parse_form(schema, form, TZ)
    assert parsed.rows_changed()["parts_used"] == ["P1", "P2", ""]
    form = posted(_render(schema, {"parts_used": ["P1", "P2"]}), press=("_remove_row", "parts_used.0"))
    assert parse_form(schema, form, TZ).rows_changed()["parts_used"] == ["P2"]


def test_rows_that_post_nothing_are_kept_by_their_count(app: Flask) -> None:
    schema = {
        "type": "object",
        "properties": {
            "checks": {
                "type": "array",
                "items": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
            }
        },
    }
    parsed = parse_form(schema, posted(_render(schema, {"checks": [{"ok": False}, {"ok": True}]})), TZ)
    assert parsed.data == {"checks": [{"ok": False}, {"ok": True}]}


def test_file_fields_give_the_kept_ids_and_the_new_uploads(app: Flask) -> None:
    schema = {
        "type": "object",
        "properties": {
            "photos": {"type": "array", "items": {"type": "integer"}, "ui:widget": "file", "ui:kind": "photo"}
        },
    }
    upload = FileStorage(io.BytesIO(b"\xff\xd8"), filename="front.jpg", content_type="image/jpeg")
    empty = FileStorage(io.BytesIO(b""), filename="", content_type="application/octet-stream")
    form = posted(_render(schema, {"photos": [4, 5]}))
    parsed = parse_form(schema, form, TZ, files=MultiDict([("photos", upload), ("photos", empty)]))
    assert parsed.data == {"photos": [4, 5]}
    assert parsed.files == {"photos": [upload]}
    assert parse_form(schema, MultiDict(), TZ).data == {}


def test_empty_optional_fields_are_left_out(app: Flask) -> None:
    schema = _schema("rma_case_start.json")
    parsed = parse_form(schema, posted(_render(schema, {})), TZ)
    assert "order_no" not in parsed.data and "reported_at" not in parsed.data
    assert parsed.data["customer"] == {}  # a required group stays, its fields are then reported missing
    assert parsed.data["condition"] == {
        "unused": False,
        "packaging_complete": False,
        "accessories_complete": False,
    }
    assert "" not in parsed.data.values()


def test_a_tree_of_rows_renders_as_deep_as_its_data(app: Flask) -> None:
    replies = {"replies": {"type": "array", "items": {"$ref": "#/$defs/note"}}, "text": {"type": "string"}}
    schema = {
        "type": "object",
        "properties": {"notes": {"type": "array", "items": {"$ref": "#/$defs/note"}}},
        "$defs": {"note": {"type": "object", "properties": replies}},
    }
    data = {"notes": [{"text": "a", "replies": [{"text": "b"}]}]}
    html = _render(schema, data)
    assert fragment(html).xpath('//input[@name="notes.0.replies.0.text"]')[0].get("value") == "b"
    assert parse_form(schema, posted(html), TZ).data == data
