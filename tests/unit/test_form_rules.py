"""Forms never make the server fetch anything, and their patterns run in linear time (RE2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from local_http import recording_server
from referencing.exceptions import Unresolvable

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.form_schema import form_problems, form_validator
from rma_orchestrator.errors import InvalidData, InvalidDefinition
from rma_orchestrator.service.forms import validate_data

FORMS = Path(__file__).parents[2] / "forms"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _form(**schema: Any) -> dict[str, Any]:
    return {"$schema": DRAFT, "type": "object", **schema}


def _deploy_errors(files: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({name: json.dumps(schema).encode() for name, schema in files.items()})
    for item in caught.value.items:
        assert set(item) == {"file", "line", "element", "message", "rule"}
    return caught.value.items


def _one_error(schema: dict[str, Any], name: str = "form.json") -> str:
    (error,) = _deploy_errors({name: schema})
    assert error["file"] == name
    return str(error["message"])


def _errors(name: str, schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    try:
        validate_data(name, form_validator(schema), data)
    except InvalidData as invalid:
        return {item["field"]: item["message"] for item in invalid.items}
    return {}


# ---- references ----------------------------------------------------------------------------------


def test_a_ref_to_a_local_http_server_is_refused_at_deploy_and_never_fetched() -> None:
    with recording_server() as server:
        url = f"{server.base}/x.json"
        message = _one_error(_form(properties={"a": {"$ref": url}}))
        assert server.requests == []
    assert url in message and "outside this form" in message and "properties/a" in message


def test_a_ref_to_a_file_is_refused_at_deploy() -> None:
    message = _one_error(_form(properties={"a": {"$ref": "file:///etc/passwd"}}))
    assert "'file:///etc/passwd'" in message and "root:" not in message


@pytest.mark.parametrize(
    "keyword, ref",
    [
        ("$ref", "other.json"),
        ("$ref", "../forms/rma_case_start.json#/$defs/date"),
        ("$ref", "urn:example:address"),
        ("$ref", "https://json-schema.org/draft/2020-12/schema"),
        ("$dynamicRef", "http://127.0.0.1:9/meta#meta"),
    ],
)
def test_every_reference_outside_the_form_is_refused(keyword: str, ref: str) -> None:
    message = _one_error(_form(properties={"a": {keyword: ref}}))
    assert repr(ref) in message and keyword in message


def test_another_form_of_the_same_upload_is_not_a_reference_target() -> None:
    files = {"form.json": _form(properties={"a": {"$ref": "other.json"}}), "other.json": _form()}
    (error,) = _deploy_errors(files)
    assert error["file"] == "form.json" and "'other.json'" in error["message"]


def test_a_foreign_schema_dialect_and_a_dangling_ref_are_refused() -> None:
    assert "$schema" in _one_error({"$schema": "http://127.0.0.1:9/dialect.json", "type": "object"})
    nested = _form(properties={"a": {"$schema": "http://json-schema.org/draft-04/schema#"}})
    assert "properties/a" in _one_error(nested)
    message = _one_error(_form(properties={"a": {"$ref": "#/$defs/missing"}}))
    assert "'#/$defs/missing'" in message and "points to nothing" in message


def test_an_id_that_is_no_uri_is_refused_not_a_server_error() -> None:
    message = _one_error(_form(properties={"a": {"$id": "http://[::1", "$ref": "#"}}))
    assert "properties/a" in message and "'http://[::1'" in message


def test_refs_within_the_form_still_work() -> None:
    schema = _form(
        **{"$id": "addresses.json"},
        **{"$defs": {"code": {"$anchor": "code", "type": "string", "pattern": "^[0-9]{6}$"}}},
        properties={
            "home": {"$ref": "#/$defs/code"},
            "work": {"$ref": "#code"},
            "list": {"type": "array", "items": {"$ref": "#/$defs/code"}},
        },
    )
    assert form_problems(json.dumps(schema)) == ()
    load_bundle({"addresses.json": json.dumps(schema).encode()})
    assert _errors("addresses.json", schema, {"home": "100000", "work": "200000", "list": ["300000"]}) == {}
    errors = _errors("addresses.json", schema, {"home": "1", "work": "x", "list": ["100000", "2"]})
    assert set(errors) == {"home", "work", "list.1"}


def test_validation_itself_never_opens_a_url_or_a_file(tmp_path: Path) -> None:
    """A form that somehow skipped deploy's checks: the validator's registry refuses to retrieve."""
    local = tmp_path / "integer.json"
    local.write_text('{"type": "integer"}')  # if it were read, "x" would fail with a type error
    with recording_server() as server:
        for ref in (f"{server.base}/x.json", local.as_uri(), "file:///etc/passwd", "other.json"):
            validator = form_validator(_form(properties={"a": {"$ref": ref}}))
            with pytest.raises(Unresolvable):
                list(validator.iter_errors({"a": "x"}))
        dynamic = form_validator(_form(properties={"a": {"$dynamicRef": f"{server.base}/m.json#m"}}))
        with pytest.raises(Unresolvable):
            list(dynamic.iter_errors({"a": "x"}))
        dialect = form_validator({"$schema": f"{server.base}/dialect.json", "type": "object"})
        assert list(dialect.iter_errors({"a": "x"})) == []
        assert server.requests == []


# ---- patterns ------------------------------------------------------------------------------------

NESTED = _form(properties={"code": {"type": "string", "pattern": "^(a+)+$"}})


def test_a_catastrophic_pattern_is_decided_by_re2() -> None:
    """Under a backtracking engine this input takes about 2**50 steps; RE2 answers at once."""
    errors = _errors("nested.json", NESTED, {"code": "a" * 50 + "!"})
    assert set(errors) == {"code"} and "does not match" in errors["code"]
    assert _errors("nested.json", NESTED, {"code": "a" * 50}) == {}
    assert set(_errors("nested.json", NESTED, {"code": "b"})) == {"code"}
    load_bundle({"nested.json": json.dumps(NESTED).encode()})


def test_pattern_properties_and_additional_properties_run_on_re2() -> None:
    schema = _form(
        properties={
            "extras": {
                "type": "object",
                "patternProperties": {"^(x+)+$": {"type": "integer"}, "^note_[a-z]+$": {"type": "string"}},
                "additionalProperties": False,
            }
        }
    )
    # safe to check data against (the form pages cannot show it, so deploy refuses it for another reason)
    assert form_problems(json.dumps(schema)) == ()
    good = {"extras": {"xxx": 1, "note_a": "hi"}}
    assert _errors("extras.json", schema, good) == {}
    bad = {"extras": {"xxx": "one", "note_a": 2, "x" * 40 + "!": 3}}
    errors = _errors("extras.json", schema, bad)
    assert set(errors) == {"extras.xxx", "extras.note_a", "extras"}
    assert "x" * 40 + "!" in errors["extras"]


def test_patterns_keep_their_json_schema_meaning() -> None:
    schema = _form(
        properties={
            "text": {"type": "string", "pattern": "\\S"},
            "word": {"type": "string", "pattern": "^[^@\\s]+$"},
            "hanzi": {"type": "string", "pattern": "^[\\u4e00-\\u9fff]+$"},
            "digits": {"type": "string", "pattern": "^[0-9]+$"},
        }
    )
    load_bundle({"meaning.json": json.dumps(schema).encode()})
    good = {"text": " 好 ", "word": "li.lei", "hanzi": "电热水壶", "digits": "0123"}
    assert _errors("meaning.json", schema, good) == {}
    bad = {"text": "\u3000 \t", "word": "li\u3000lei", "hanzi": "kettle", "digits": "123\n"}
    assert set(_errors("meaning.json", schema, bad)) == set(bad)


@pytest.mark.parametrize(
    "keyword, pattern",
    [("pattern", "^(a)\\1$"), ("pattern", "^(?=.*[0-9]).+$"), ("patternProperties", "(?<!x)y")],
)
def test_a_pattern_re2_cannot_run_is_refused_at_deploy(keyword: str, pattern: str) -> None:
    if keyword == "pattern":
        schema = _form(properties={"a": {"type": "string", "pattern": pattern}})
    else:
        schema = _form(patternProperties={pattern: {}})
    message = _one_error(schema, "needs_backtracking.json")
    assert repr(pattern) in message and keyword in message and "RE2" in message


def test_unevaluated_properties_beside_pattern_properties_is_refused() -> None:
    message = _one_error(_form(patternProperties={"^x": {}}, unevaluatedProperties=False))
    assert "unevaluatedProperties" in message and "patternProperties" in message
    assert form_problems(json.dumps(_form(unevaluatedProperties=False))) == ()


def test_the_regex_format_is_checked_by_re2() -> None:
    schema = _form(properties={"rule": {"type": "string", "format": "regex"}})
    assert _errors("rule.json", schema, {"rule": "^[A-Z]{2}-[0-9]+$"}) == {}
    assert set(_errors("rule.json", schema, {"rule": "(a)\\1"})) == {"rule"}
    # Python's re compiler fails on deep nesting with RecursionError (a server error); RE2 does not.
    assert _errors("rule.json", schema, {"rule": "(" * 100_000 + ")" * 100_000}) == {}
    assert set(_errors("rule.json", schema, {"rule": "(" * 100_000})) == {"rule"}


def test_every_shipped_form_keeps_the_rules() -> None:
    for path in sorted(FORMS.glob("*.json")):
        assert form_problems(path.read_text(encoding="utf-8")) == (), path.name
