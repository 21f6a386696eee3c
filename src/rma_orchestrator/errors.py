"""One exception hierarchy for the whole service; ``web/errors.py`` alone maps it to HTTP."""

from __future__ import annotations

from typing import Any


class RmaError(Exception):
    """Root of every error the service raises on purpose."""

    def __init__(self, message: str, items: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.items = items if items is not None else [{"message": message}]


class NotFound(RmaError):
    """An id or key that does not exist."""


class Forbidden(RmaError):
    """The actor may not do this."""


class Unauthorized(RmaError):
    """No valid credentials."""


class TooManyAttempts(RmaError):
    """Sign-ins refused for a while after repeated failures; try again in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(RmaError):
    """The request clashes with the current state."""


class StaleRevision(Conflict):
    """The instance changed since it was read."""


class WriteConflict(StaleRevision):
    """Another command wrote first since this one read (SQLite's optimistic transactions)."""


class TaskNotOpen(Conflict):
    """The task was completed or cancelled already."""


class TaskHeldByOther(Conflict):
    """The task is claimed by another user."""


class DuplicateDelivery(Conflict):
    """A concurrent delivery with the same idempotency key committed first."""


class StepStopped(RmaError):
    """An engine step overran its limits before it reached any element it could fail at: nothing changed."""


class InvalidData(RmaError):
    """Request data failed validation; items are ``{field, message}``.

    ``problems`` says the same for pages that phrase it in their own language: ``{field, keyword,
    params, message}`` with the JSON Schema keyword that failed and what it asked for (``{"limit": 5}``);
    it never reaches the API's body.
    """

    def __init__(
        self,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        problems: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, errors or [{"field": "", "message": message}])
        self.problems = (
            problems
            if problems is not None
            else [{**item, "keyword": None, "params": {}} for item in self.items]
        )


class InvalidDefinition(RmaError):
    """BPMN, DMN or form files failed validation; items are ``{file, line, element, message}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0] if errors else {"message": "invalid definition"}
        super().__init__(f"{len(errors)} definition error(s); first: {first.get('message')}", errors)
