"""The checks of a batch's inputs: its id, action, outcome, reason, size and the ids chosen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..errors import InvalidData, NotFound
from ..store import limits
from .inputs import check_text

BatchAction = Literal["cancel", "suspend", "resume", "retry_incidents", "migrate"]
Outcome = Literal["pending", "ok", "failed", "skipped"]
# "migrate" runs start from a migration (``case_migration.start_migration``), which names the
# target version: a batch of cases chosen in the case list cannot ask for one
ACTIONS: tuple[BatchAction, ...] = ("cancel", "suspend", "resume", "retry_incidents", "migrate")
LIST_ACTIONS: tuple[BatchAction, ...] = ("cancel", "suspend", "resume", "retry_incidents")
OUTCOMES: tuple[Outcome, ...] = ("pending", "ok", "failed", "skipped")


def check_batch_id(batch_id: int) -> None:
    if not 1 <= batch_id <= limits.INSTANCE_ID:
        raise NotFound(f"batch {batch_id} not found")


def check_action(action: str) -> BatchAction:
    for known in LIST_ACTIONS:
        if action == known:
            return known
    problem = {"field": "action", "message": f"must be one of {', '.join(LIST_ACTIONS)}"}
    raise InvalidData("unknown action", [problem])


def check_outcome(outcome: str | None) -> Outcome | None:
    if outcome is None:
        return None
    for known in OUTCOMES:
        if outcome == known:
            return known
    problem = {"field": "outcome", "message": f"must be one of {', '.join(OUTCOMES)}"}
    raise InvalidData("unknown outcome", [problem])


def check_reason(reason: str) -> None:
    check_text("reason", reason, limits.ACTION_REASON)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidData("a reason is required", [{"field": "reason", "message": "say why (required)"}])


def check_size(count: int, cap: int) -> None:
    if count > cap:
        message = f"at most {cap:,} cases per batch; narrow the filter (it matches more)"
        raise InvalidData("too many cases", [{"field": "instance_ids", "message": message}])


def chosen(instance_ids: Sequence[int], cap: int) -> list[int]:
    """The ids once each, in the order given, all of them possible ids, no more than the cap."""
    ids: list[int] = []
    seen: set[int] = set()
    for value in instance_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits.INSTANCE_ID:
            raise InvalidData("bad id", [{"field": "instance_ids", "message": f"{value!r} is not a case id"}])
        if value not in seen:
            seen.add(value)
            ids.append(value)
    check_size(len(ids), cap)
    return ids
