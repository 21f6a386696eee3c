"""Formats are checked, not only annotated: a form without a pattern still refuses a wrong date."""

from __future__ import annotations

from typing import Any

import pytest

from rma_orchestrator.engine.form_schema import form_validator
from rma_orchestrator.errors import InvalidData
from rma_orchestrator.service.forms import validate_data


def _problems(fmt: str, value: str) -> list[dict[str, Any]]:
    schema = {"type": "object", "properties": {"v": {"type": "string", "format": fmt}}}
    try:
        validate_data("f.json", form_validator(schema), {"v": value})
    except InvalidData as invalid:
        return invalid.problems
    return []


@pytest.mark.parametrize(
    "fmt, bad, good",
    [
        ("date-time", "2026-13-45T99:00", "2026-05-20T10:00:00+08:00"),
        ("date-time", "2026-05-20T10:00:00", "2026-05-20T02:00:00Z"),  # no offset
        ("date", "2026-02-30", "2026-02-28"),
        ("email", "no-at-sign", "li.lei@example.cn"),
        ("uri", "not a uri", "https://example.cn/a"),
    ],
)
def test_a_format_is_checked(fmt: str, bad: str, good: str) -> None:
    (problem,) = _problems(fmt, bad)
    assert (problem["field"], problem["keyword"], problem["params"]) == ("v", "format", {"format": fmt})
    assert _problems(fmt, good) == []
