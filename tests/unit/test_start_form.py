"""forms/rma_case_start.json: valid case data passes; each mistake is reported on its own field."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rma_orchestrator.engine.form_schema import form_validator
from rma_orchestrator.errors import InvalidData
from rma_orchestrator.service.forms import validate_data

FORM = Path(__file__).parents[2] / "forms" / "rma_case_start.json"
NAME = FORM.name
SCHEMA: dict[str, Any] = json.loads(FORM.read_text(encoding="utf-8"))
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")
DELETE = object()

VALID: dict[str, Any] = {
    "customer": {"name": "李雷", "phone": "13912345678", "email": "li.lei@example.com"},
    "order_no": "SO-20261120-0001",
    "product": {
        "sku": "KETTLE-17",
        "name": "电热水壶 Electric kettle",
        "category": "home_goods",
        "exclusion": "none",
        "price_paid": "199.00",
        "serial_no": "KT17-000123",
    },
    "purchased_on": "2026-11-18",
    "received_at": "2026-11-20T10:05:00+08:00",
    "warranty_start_on": "2026-11-20",
    "prior_repairs_in_warranty": 0,
    "kind": "exchange",
    "reason": "quality_on_receipt",
    "reported_at": "2026-11-21T01:00:00Z",
    "description": "壶底漏水。 The kettle leaks at the bottom.",
    "condition": {"unused": False, "packaging_complete": True, "accessories_complete": True},
    "channel": "chat",
    "photos": [17, 18],  # attachment ids (the service checks they are the registering user's uploads)
    "proof_of_purchase": [19],
    "order_verified": False,
    "evidence": [20],
}


def changed(changes: dict[str, Any]) -> dict[str, Any]:
    """VALID with dotted paths set (or removed, with DELETE)."""
    data = copy.deepcopy(VALID)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return data


def problems(data: Any) -> set[str]:
    """The fields the form reports for ``data``; empty when it is accepted."""
    try:
        validate_data(NAME, form_validator(SCHEMA), data)
    except InvalidData as error:
        return {item["field"] for item in error.items}
    return set()


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_valid_full_example_passes() -> None:
    """Every field is filled in (discovered_on belongs to misleading sales only), and all are accepted."""
    assert set(VALID) == set(SCHEMA["properties"]) - {"discovered_on"}
    for name in ("customer", "product", "condition"):
        assert set(VALID[name]) == set(SCHEMA["properties"][name]["properties"])
    assert problems(VALID) == set()


def test_the_schema_examples_pass() -> None:
    assert SCHEMA["examples"]
    assert [problems(example) for example in SCHEMA["examples"]] == [set()] * len(SCHEMA["examples"])


def test_only_the_required_fields_pass() -> None:
    optional = {
        "product.serial_no",
        "warranty_start_on",
        "prior_repairs_in_warranty",
        "reported_at",
        "photos",
        "proof_of_purchase",
        "order_verified",
        "evidence",
    }
    data = changed(dict.fromkeys(optional, DELETE))
    assert set(data) == set(SCHEMA["required"])  # the test's optional fields are exactly the form's
    assert set(data["product"]) == set(SCHEMA["properties"]["product"]["required"])
    assert problems(data) == set()


@pytest.mark.parametrize(
    "changes",
    [
        {"customer.phone": "+8613912345678"},
        {"customer.phone": "+86 13912345678"},
        {"customer.phone": "010-62345678"},
        {"customer.phone": "075586543210"},
        {"customer.phone": "0571-88886666-123"},
        {"product.price_paid": "0.00"},
        {"product.price_paid": "12999.90"},
        {"received_at": "2026-11-20T02:05:00Z"},
        {"received_at": "2026-11-20T10:05:00.250-05:00"},
        {"reason": "misleading_sales", "discovered_on": "2026-11-25"},
        {"prior_repairs_in_warranty": 2},
        {"description": "x" * 2000},
    ],
    ids=lambda changes: ",".join(f"{k}={v}"[:40] for k, v in changes.items()),
)
def test_valid_variants_pass(changes: dict[str, Any]) -> None:
    data = changed(changes)
    assert data != VALID and problems(data) == set()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"customer.phone": DELETE}, {"customer.phone"}),
        ({"customer.phone": "12345678901"}, {"customer.phone"}),
        ({"customer.phone": "1391234567"}, {"customer.phone"}),
        ({"customer.phone": "139 1234 5678"}, {"customer.phone"}),
        ({"customer.phone": "１３９１２３４５６７８"}, {"customer.phone"}),  # full-width digits
        ({"customer.email": "li.lei.example.com"}, {"customer.email"}),
        ({"customer.email": "li@example"}, {"customer.email"}),
        ({"customer.name": "  "}, {"customer.name"}),
        ({"customer": DELETE}, {"customer"}),
        ({"order_no": ""}, {"order_no"}),
        ({"order_no": "SO 1"}, {"order_no"}),
        ({"product.price_paid": 199.0}, {"product.price_paid"}),
        ({"product.price_paid": "199"}, {"product.price_paid"}),
        ({"product.price_paid": "199.5"}, {"product.price_paid"}),
        ({"product.price_paid": "-1.00"}, {"product.price_paid"}),
        ({"product.price_paid": "1,999.00"}, {"product.price_paid"}),
        ({"product.category": "toys"}, {"product.category"}),
        ({"product.exclusion": DELETE}, {"product.exclusion"}),
        ({"product.exclusion": "second_hand"}, {"product.exclusion"}),
        ({"product.serial_no": ""}, {"product.serial_no"}),
        ({"purchased_on": "2026-02-30"}, {"purchased_on"}),
        ({"purchased_on": "20261118"}, {"purchased_on"}),
        ({"purchased_on": "2026-11-18T00:00:00+08:00"}, {"purchased_on"}),
        ({"received_at": "2026-11-20T10:05:00"}, {"received_at"}),
        ({"received_at": "2026-11-20"}, {"received_at"}),
        ({"received_at": "2026-11-20 10:05:00+08:00"}, {"received_at"}),
        ({"received_at": "2026-11-20T10:05+08:00"}, {"received_at"}),
        ({"received_at": "2026-11-20T24:05:00Z"}, {"received_at"}),
        ({"received_at": "2026-11-20T10:05:00+0800"}, {"received_at"}),
        ({"reported_at": "2026-11-21T09:00:00"}, {"reported_at"}),
        ({"warranty_start_on": "2026/11/20"}, {"warranty_start_on"}),
        ({"kind": "swap"}, {"kind"}),
        ({"kind": DELETE}, {"kind"}),
        ({"reason": "changed_mind"}, {"reason"}),
        ({"reason": "misleading_sales"}, {"discovered_on"}),
        ({"reason": "misleading_sales", "discovered_on": "last week"}, {"discovered_on"}),
        ({"prior_repairs_in_warranty": -1}, {"prior_repairs_in_warranty"}),
        ({"prior_repairs_in_warranty": 1.5}, {"prior_repairs_in_warranty"}),
        ({"prior_repairs_in_warranty": "0"}, {"prior_repairs_in_warranty"}),
        ({"description": ""}, {"description"}),
        ({"description": "x" * 2001}, {"description"}),
        ({"condition.accessories_complete": DELETE}, {"condition.accessories_complete"}),
        ({"condition.unused": "yes"}, {"condition.unused"}),
        ({"channel": "fax"}, {"channel"}),
        ({"kind": "swap", "channel": "fax", "customer.email": "x"}, {"kind", "channel", "customer.email"}),
    ],
    ids=lambda value: ",".join(sorted(value)) if isinstance(value, set) else None,
)
def test_invalid_data_names_the_field(changes: dict[str, Any], fields: set[str]) -> None:
    assert problems(changed(changes)) == fields


@pytest.mark.parametrize(
    ("changes", "field", "extra"),
    [
        ({"priority": "high"}, "", "priority"),
        ({"customer.wechat": "lilei"}, "customer", "wechat"),
        ({"product.colour": "white"}, "product", "colour"),
        ({"condition.scratched": True}, "condition", "scratched"),
    ],
)
def test_extra_properties_are_refused(changes: dict[str, Any], field: str, extra: str) -> None:
    """An unknown property is reported on the object that holds it (``""`` = the form itself)."""
    with pytest.raises(InvalidData) as caught:
        validate_data(NAME, form_validator(SCHEMA), changed(changes))
    (item,) = caught.value.items
    assert item["field"] == field and repr(extra) in item["message"]


def _fields(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, sub in schema.get("properties", {}).items():
        found.append((f"{path}{name}", sub))
        found.extend(_fields(sub, f"{path}{name}."))
    return found


FIELDS = _fields(SCHEMA)


@pytest.mark.parametrize(("path", "sub"), FIELDS, ids=[path for path, _ in FIELDS])
def test_every_field_is_labelled_in_chinese_and_english(path: str, sub: dict[str, Any]) -> None:
    """Convention: title '中文 English', description '中文。 English.'."""
    title, description = sub.get("title", ""), sub.get("description", "")
    assert re.fullmatch(r"[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]* [A-Z].*", title), title
    assert CJK.search(description) and LATIN.search(description), description


def test_every_object_is_closed() -> None:
    objects = [("(form)", SCHEMA)] + [(path, sub) for path, sub in FIELDS if sub.get("type") == "object"]
    assert [path for path, _ in objects] == ["(form)", "customer", "product", "condition"]
    assert all(sub["additionalProperties"] is False for _, sub in objects)


@pytest.mark.parametrize(
    "changes",
    [
        {"photos": ["kettle.jpg"]},  # ids, not names
        {"photos": [1, 1]},  # each upload once
        {"photos": list(range(11))},  # at most 10
        {"proof_of_purchase": [1, 2, 3, 4]},  # at most 3
    ],
)
def test_attachment_fields_hold_a_few_distinct_ids(changes: dict[str, Any]) -> None:
    assert problems(changed(changes))
