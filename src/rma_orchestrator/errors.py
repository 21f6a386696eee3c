"""One exception hierarchy for the whole service; ``web/errors.py`` alone maps it to HTTP.

The API answers with an error's English ``message``. The errors people meet on the pages are raised
with ``Error.of(code, **params)``: the message is ``MESSAGES[code]`` filled in, and the pages show
their own translation of the code with the same parameters (``web/error_texts.py``).
"""

from __future__ import annotations

from typing import Any, Self

MESSAGES = {
    "instance_not_found": "process instance {instance} not found",
    "task_not_found": "task {task} not found",
    "incident_not_found": "incident {incident} not found",
    "instance_ended": "instance {instance} has already ended ({status})",
    "case_ended": "case {business_key} has already ended ({status})",
    "not_suspendable": "instance {instance} is {status}; only running instances can be suspended",
    "not_suspended": "instance {instance} is {status}, not suspended",
    "instance_suspended": "instance {instance} is suspended; resume it first",
    "not_in_error": "instance {instance} is {status}, not in error",
    "incident_resolved": "incident {incident} is already resolved",
    "incident_task_gone": "the failed task of incident {incident} is no longer in error",
    "task_not_open": "task {task} is {status}",
    "task_claimed": "task {task} is claimed by {user}",
    "task_claimed_meanwhile": "task {task} is claimed by {user} now",
    "needs_role": "{user} ({role}) may not do this; it needs the role {roles}",
    "not_in_group": "{user} is not in the group {group} of this task",
    "unknown_user": "no active user named {user!r}",
    "user_not_in_group": "{user} may not work tasks of the group {group}",
    "user_managers_only": "{user} may not work tasks without a group (managers only)",
}


class RmaError(Exception):
    """Root of every error the service raises on purpose; ``code`` and ``params`` when made by ``of``."""

    def __init__(
        self,
        message: str,
        items: list[dict[str, Any]] | None = None,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.items = items if items is not None else [{"message": message}]
        self.code = code
        self.params = params or {}

    @classmethod
    def of(cls, code: str, **params: Any) -> Self:
        """The error of ``MESSAGES[code]``; a tuple parameter reads "a or b" in the English message."""
        return cls(english(code, params), code=code, params=params)


def english(code: str, params: dict[str, Any]) -> str:
    shown = {k: " or ".join(map(str, v)) if isinstance(v, tuple) else v for k, v in params.items()}
    return MESSAGES[code].format(**shown)


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


class DraftChanged(Conflict):
    """Someone saved the diagram draft since the revision a change was based on; the API's 409 body
    carries the draft's ``revision`` and who saved it (``updated_by``) besides the errors."""

    def __init__(self, message: str, revision: int, updated_by: str) -> None:
        super().__init__(message)
        self.revision = revision
        self.updated_by = updated_by


class TaskNotOpen(Conflict):
    """The task was completed or cancelled already."""


class TaskHeldByOther(Conflict):
    """The task is claimed by another user."""


class DuplicateDelivery(Conflict):
    """A concurrent delivery with the same idempotency key committed first."""


class StepStopped(RmaError):
    """An engine step overran its limits before it reached any element it could fail at: nothing changed."""


class PreconditionRequired(RmaError):
    """A change that must name the revision it is based on (``If-Match``) named none."""


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
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, errors or [{"field": "", "message": message}], code=code, params=params)
        self.problems = (
            problems
            if problems is not None
            else [{**item, "keyword": None, "params": {}} for item in self.items]
        )

    @classmethod
    def of(cls, code: str, field: str = "", **params: Any) -> Self:
        """As ``RmaError.of``, the message at ``field``."""
        message = english(code, params)
        return cls(message, [{"field": field, "message": message}], code=code, params=params)


class InvalidDefinition(RmaError):
    """BPMN, DMN or form files failed validation; items are ``{file, line, element, message}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0] if errors else {"message": "invalid definition"}
        super().__init__(f"{len(errors)} definition error(s); first: {first.get('message')}", errors)
