"""Deploy refuses what would fail later: forms whose checking never ends. Each refusal is a
``{file, line, element, message}`` and stores nothing, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from support import ANALYST, lifecycle_files

from rma_orchestrator.errors import InvalidDefinition
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.store.models import ProcessDefinition


def _definitions(services: Services) -> int:
    with services.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0)


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
