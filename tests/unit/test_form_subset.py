"""Deploy refuses a form the staff pages could not show, naming the line of the offending key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.form_subset import field_kind, ordered_properties, resolved, subset_problems
from rma_orchestrator.engine.json_lines import key_lines, line_of
from rma_orchestrator.errors import InvalidDefinition

FORMS = Path(__file__).parents[2] / "forms"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _form(**schema: Any) -> dict[str, Any]:
    return {"$schema": DRAFT, "type": "object", **schema}


def _deploy(schema: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The form's text (indented, one key a line) and the errors deploy answers for it."""
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({"form.json": text.encode()})
    return text, caught.value.items


def _line(text: str, marker: str, after: str = "") -> int:
    """The 1-based line of the first ``marker`` after the first ``after`` in ``text``."""
    start = text.index(after) if after else 0
    return text[: text.index(marker, start)].count("\n") + 1


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.name)
def test_every_form_of_the_project_is_in_the_subset(path: Path) -> None:
    assert subset_problems(json.loads(path.read_text())) == []


def test_the_project_forms_deploy() -> None:
    bundle = load_bundle({path.name: path.read_bytes() for path in FORMS.glob("*.json")})
    assert len(bundle.forms) == len(list(FORMS.glob("*.json")))


REFUSED = [
    (
        "type list",
        _form(properties={"note": {"type": ["string", "null"]}}),
        '"type": [',
        "properties/note/type",
        "several types",
    ),
    (
        "patternProperties",
        _form(properties={"extras": {"type": "object", "patternProperties": {"^x": {"type": "string"}}}}),
        '"patternProperties"',
        "properties/extras/patternProperties",
        "patternProperties",
    ),
    (
        "additionalProperties schema",
        _form(properties={"tags": {"type": "object", "additionalProperties": {"type": "string"}}}),
        '"additionalProperties": {',
        "properties/tags/additionalProperties",
        "additionalProperties with a schema",
    ),
    (
        "prefixItems",
        _form(properties={"pair": {"type": "array", "prefixItems": [{"type": "string"}], "items": False}}),
        '"prefixItems"',
        "properties/pair/prefixItems",
        "prefixItems",
    ),
    (
        "array of arrays",
        _form(
            properties={"grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}}
        ),
        '"grid"',
        "properties/grid",
        "array of arrays",
    ),
    (
        "unknown widget",
        _form(properties={"note": {"type": "string", "ui:widget": "richtext"}}),
        '"ui:widget"',
        "properties/note/ui:widget",
        "'richtext' is unknown",
    ),
    (
        "widget on the wrong shape",
        _form(properties={"note": {"type": "string", "ui:widget": "radio"}}),
        '"ui:widget"',
        "properties/note/ui:widget",
        "does not fit",
    ),
    (
        "ui:order naming an unknown property",
        _form(properties={"a": {"type": "string"}}, **{"ui:order": ["a", "b"]}),
        '"ui:order"',
        "ui:order",
        "['b']",
    ),
    (
        "then bringing an undeclared property",
        _form(
            properties={"a": {"type": "boolean"}},
            **{
                "if": {"properties": {"a": {"const": True}}},
                "then": {"properties": {"b": {"type": "string"}}},
            },
        ),
        '"b"',
        "then/properties/b",
        "brings the field 'b'",
    ),
    (
        "oneOf alternatives with their own properties",
        _form(
            properties={"kind": {"enum": ["a", "b"]}},
            oneOf=[{"properties": {"kind": {"const": "a"}, "x": {"type": "string"}}}, {"required": ["kind"]}],
        ),
        '"x"',
        "oneOf/0/properties/x",
        "oneOf brings the field 'x'",
    ),
    (
        "a property with no type",
        _form(properties={"what": {"title": "什么 What"}}),
        '"what"',
        "properties/what",
        "No type a form can show",
    ),
    (
        "an unknown format",
        _form(properties={"colour": {"type": "string", "format": "color"}}),
        '"format"',
        "properties/colour/format",
        "format 'color'",
    ),
    (
        "file widget on strings",
        _form(
            properties={
                "photos": {
                    "type": "array",
                    "items": {"type": "string"},
                    "ui:widget": "file",
                    "ui:kind": "photo",
                }
            }
        ),
        '"ui:widget"',
        "properties/photos/ui:widget",
        "attachment ids",
    ),
    (
        "file widget without a kind",
        _form(properties={"photos": {"type": "array", "items": {"type": "integer"}, "ui:widget": "file"}}),
        '"ui:widget"',
        "properties/photos/ui:widget",
        "ui:kind is None",
    ),
    (
        "money without a pattern",
        _form(properties={"price": {"type": "string", "ui:widget": "money"}}),
        '"ui:widget"',
        "properties/price/ui:widget",
        "needs a pattern",
    ),
    (
        "a dotted field name",
        _form(properties={"a.b": {"type": "string"}}),
        '"a.b"',
        "properties/a.b",
        "dotted paths",
    ),
    (
        "required naming no property",
        _form(properties={"a": {"type": "string"}}, required=["a", "z"]),
        '"required"',
        "required",
        "['z']",
    ),
]


@pytest.mark.parametrize(
    "schema, marker, where, words", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_form_outside_the_subset_is_refused_at_its_line(
    schema: dict[str, Any], marker: str, where: str, words: str
) -> None:
    text, errors = _deploy(schema)
    (error,) = errors
    assert error["file"] == "form.json"
    assert error["element"] == where
    assert error["line"] == _line(text, marker)
    assert error["message"].startswith(f"At {where}: ")
    assert words in error["message"]


def test_a_problem_inside_a_definition_is_reported_where_the_definition_is_written() -> None:
    schema = _form(
        properties={"a": {"$ref": "#/$defs/odd"}, "b": {"$ref": "#/$defs/odd"}},
        **{"$defs": {"odd": {"type": "string", "ui:widget": "wysiwyg"}}},
    )
    text, errors = _deploy(schema)
    (error,) = errors  # used twice, reported once
    assert error["element"] == "$defs/odd/ui:widget"
    assert error["line"] == _line(text, '"ui:widget"', after='"$defs"')


def test_a_tree_of_rows_is_shown_but_an_object_inside_itself_is_refused() -> None:
    replies = {"replies": {"type": "array", "items": {"$ref": "#/$defs/note"}}}
    tree = _form(
        properties={"notes": {"type": "array", "items": {"$ref": "#/$defs/note"}}},
        **{"$defs": {"note": {"type": "object", "properties": replies}}},
    )
    assert subset_problems(tree) == []
    endless = _form(
        properties={"note": {"$ref": "#/$defs/note"}},
        **{"$defs": {"note": {"type": "object", "properties": {"parent": {"$ref": "#/$defs/note"}}}}},
    )
    text, errors = _deploy(endless)
    (error,) = errors
    assert error["element"] == "$defs/note/properties/parent"
    assert "contains itself" in error["message"]
    assert error["line"] == _line(text, '"parent"')


def test_the_line_is_the_line_of_the_key_in_a_hand_written_file() -> None:
    text = """{
  "type": "object",
  "properties": {
    "ok": {"type": "string"},
    "bad": {
      "title": "坏 Bad",
      "type": ["integer", "null"]
    }
  }
}
"""
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({"hand.json": text.encode()})
    (error,) = caught.value.items
    assert (error["line"], error["element"]) == (7, "properties/bad/type")


def test_validation_only_keywords_are_accepted() -> None:
    schema = _form(
        required=["a"],
        additionalProperties=False,
        properties={
            "a": {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^x", "examples": ["x"]},
            "n": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
            "t": {"type": "array", "items": {"enum": ["p", "q"]}, "uniqueItems": True, "minItems": 1},
            "f": {"type": "array", "items": {"type": "integer"}, "ui:widget": "file", "ui:kind": "evidence"},
            "m": {"type": "string", "ui:widget": "money", "pattern": "^[0-9]+\\.[0-9]{2}$"},
        },
        allOf=[{"if": {"properties": {"a": {"const": "x"}}}, "then": {"required": ["n"]}}],
        anyOf=[{"required": ["a"]}, {"not": {"properties": {"n": {"maximum": 3}}}}],
        **{"$comment": "fine", "ui:order": ["n", "a"]},
    )
    assert subset_problems(schema) == []


def test_field_kinds_and_order() -> None:
    schema = _form(
        properties={
            "when": {"$ref": "#/$defs/at", "title": "时间 When"},
            "pick": {"enum": [1, 2], "ui:widget": "radio"},
            "rows": {"type": "array", "items": {"type": "object", "properties": {}}},
            "names": {"type": "array", "items": {"type": "string"}},
        },
        **{"$defs": {"at": {"type": "string", "format": "date-time"}}, "ui:order": ["rows"]},
    )
    kinds = {name: field_kind(resolved(sub, schema), schema) for name, sub in schema["properties"].items()}
    assert kinds == {"when": "datetime", "pick": "radio", "rows": "rows", "names": "list"}
    assert resolved(schema["properties"]["when"], schema)["title"] == "时间 When"
    assert ordered_properties(schema) == ["rows", "when", "pick", "names"]


def test_key_lines_of_objects_and_arrays() -> None:
    text = '{\n  "a": {\n    "b": [\n      1,\n      {"c": "\\"}"}\n    ]\n  },\n  "d": null\n}'
    lines = key_lines(text)
    assert lines[()] == 1
    assert lines[("a",)] == 2 and lines[("a", "b")] == 3
    assert lines[("a", "b", 0)] == 4 and lines[("a", "b", 1, "c")] == 5
    assert lines[("d",)] == 8
    assert line_of(lines, ("a", "b", 1, "c", "nope")) == 5
    assert key_lines("{not json") == {}


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ({"type": "string", "ui:lables": {"a": "甲 A"}}, "ui:lables is not a form annotation"),
        ({"type": "string", "ui:labels": {"a": "甲 A"}}, "belongs to a field with enum values"),
        ({"type": "string", "enum": ["a"], "ui:labels": {"a": "甲 A", "b": "乙 B"}}, "['b']"),
        ({"type": "string", "enum": ["a"], "ui:labels": {"a": 1}}, "maps each enum value to its label"),
    ],
)
def test_ui_annotations_are_checked(field: dict[str, Any], words: str) -> None:
    _, errors = _deploy(_form(properties={"choice": field}))
    (error,) = errors
    assert words in error["message"] and error["element"].startswith("properties/choice/ui:")


def test_enum_labels_are_accepted_on_selects_radios_and_checkboxes() -> None:
    labels = {"a": "甲 A", "b": "乙 B"}
    form = _form(
        properties={
            "one": {"type": "string", "enum": ["a", "b"], "ui:labels": labels},
            "two": {"type": "string", "enum": ["a", "b"], "ui:widget": "radio", "ui:labels": labels},
            "many": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b"]},
                "uniqueItems": True,
                "ui:labels": labels,
            },
        }
    )
    assert subset_problems(form) == []
