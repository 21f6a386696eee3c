"""Deploy refuses what would fail later: texts longer than the columns that record them, forms whose
checking never ends. Each refusal is a ``{file, line, element, message}`` and stores nothing; a
process at exactly the limits deploys and runs, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from support import AGENT, ANALYST, lifecycle_files

from rma_orchestrator.errors import InvalidDefinition
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.store import limits
from rma_orchestrator.store.models import ProcessDefinition

START = {"order_no": "SO-1", "amount": 500, "category": "other"}


def _order_review(**replace: str) -> dict[str, bytes]:
    """The lifecycle files with texts of order_review.bpmn replaced (every whole-word occurrence)."""
    files = lifecycle_files()
    xml = files["order_review.bpmn"].decode()
    for old, new in replace.items():
        xml, count = re.subn(rf"\b{re.escape(old)}\b", new, xml)
        assert count, old
    return {**files, "order_review.bpmn": xml.encode()}


def _definitions(services: Services) -> int:
    with services.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0)


# (what, the text in order_review.bpmn, its limit)
TEXTS = [
    ("user task id", "review_order", limits.ELEMENT_ID),
    ("timer event id", "review_timeout", limits.ELEMENT_ID),
    ("end event id", "end_done", limits.ELEMENT_ID),
    ("user task name", "Review order", limits.TASK_NAME),
    ("message name", "payment_received", limits.MESSAGE_NAME),
    ("SLA name", "review_within_24h", limits.SLA_NAME),
]


@pytest.mark.parametrize(("what", "text", "limit"), TEXTS, ids=[t[0] for t in TEXTS])
def test_a_text_longer_than_its_column_is_refused_at_deploy(
    services: Services, what: str, text: str, limit: int
) -> None:
    files = _order_review(**{text: "x" * (limit + 1)})
    with pytest.raises(InvalidDefinition) as refused:
        deploy(services, files, ANALYST)
    (error,) = refused.value.items
    assert error["file"] == "order_review.bpmn" and isinstance(error["line"], int), error
    assert f"at most {limit} characters (got {limit + 1})" in error["message"], error
    assert _definitions(services) == 0


def test_texts_exactly_as_long_as_their_columns_deploy_and_run(services: Services) -> None:
    """The limits are the columns' own: a case of such a process opens its task and waits (PostgreSQL too)."""
    longest = {text: text.ljust(limit, "x") for _, text, limit in TEXTS}
    deploy(services, _order_review(**longest), ANALYST)
    case = start_instance(services, "order_review", START, AGENT)
    detail = get_instance(services, case.id, AGENT)
    assert [(t.element_id, t.name, t.group) for t in detail.tasks] == [
        (longest["review_order"], longest["Review order"], "customer_service")
    ]
    assert {t.element_id for t in detail.timers} >= {longest["review_timeout"]}
    kept = deliver_message(services, longest["payment_received"], case.business_key, {}, AGENT)
    assert not kept.delivered  # nothing waits for it yet, so it is kept: the name fits its column too


def _form_errors(services: Services, form: dict[str, Any]) -> list[dict[str, Any]]:
    files = {**lifecycle_files(), "review_form.json": json.dumps(form).encode()}
    with pytest.raises(InvalidDefinition) as refused:
        deploy(services, files, ANALYST)
    assert _definitions(services) == 0
    return refused.value.items


@pytest.mark.parametrize(
    "form",
    [
        {"$ref": "#"},
        {"type": "object", "allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"anyOf": [{"$ref": "#"}]}}},
        {"properties": {"n": {"$ref": "#/$defs/n"}}, "$defs": {"n": {"not": {"$ref": "#/$defs/n"}}}},
    ],
    ids=["root-to-itself", "through-allOf-and-anyOf", "definition-to-itself"],
)
def test_a_form_whose_references_loop_is_refused_at_deploy(services: Services, form: dict[str, Any]) -> None:
    (error,) = _form_errors(services, form)
    assert error["file"] == "review_form.json"
    assert "leads back to" in error["message"] and "would never end" in error["message"], error


def test_a_form_that_refers_back_from_within_its_data_still_deploys(services: Services) -> None:
    """A tree of notes refers to the form itself from ``items``: each round checks a smaller value."""
    form = json.loads(lifecycle_files()["review_form.json"])
    form["properties"]["notes"] = {"type": "array", "items": {"$ref": "#/$defs/note"}}
    replies = {"replies": {"type": "array", "items": {"$ref": "#/$defs/note"}}}
    form["$defs"] = {"note": {"type": "object", "properties": replies}}
    deploy(services, {**lifecycle_files(), "review_form.json": json.dumps(form).encode()}, ANALYST)
    assert _definitions(services) == 2
