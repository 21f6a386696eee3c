"""The service's errors in the page's language: the errors made by ``Error.of(code, ...)`` (see
``errors.MESSAGES``) are shown from these texts, their parameters (a status, a group, a role) named as
the pages name them; any other error keeps the service's English message. The API never comes here."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ..errors import RmaError
from .labels import group_label, role_label, status_label

TEXTS = {
    "instance_not_found": lazy_gettext("There is no case %(instance)s."),
    "task_not_found": lazy_gettext("There is no task %(task)s."),
    "incident_not_found": lazy_gettext("There is no incident %(incident)s."),
    "instance_ended": lazy_gettext("The case has already ended (%(status)s)."),
    "case_ended": lazy_gettext("The case %(business_key)s has already ended (%(status)s)."),
    "not_suspendable": lazy_gettext("The case is %(status)s: only running cases can be suspended."),
    "not_suspended": lazy_gettext("The case is %(status)s, not suspended."),
    "instance_suspended": lazy_gettext("The case is suspended: resume it first."),
    "not_in_error": lazy_gettext("The case is %(status)s, not stopped at an error."),
    "incident_resolved": lazy_gettext("The incident has already been resolved."),
    "incident_task_gone": lazy_gettext("The failed step of the incident is no longer in error."),
    "task_not_open": lazy_gettext("The task is no longer open (%(status)s)."),
    "task_claimed": lazy_gettext("The task is claimed by %(user)s."),
    "task_claimed_meanwhile": lazy_gettext("The task is now claimed by %(user)s."),
    "needs_role": lazy_gettext("%(user)s (%(role)s) may not do this: it needs the role %(roles)s."),
    "not_in_group": lazy_gettext("%(user)s is not in the group %(group)s of this task."),
    "unknown_user": lazy_gettext("There is no active user named %(user)s."),
    "user_not_in_group": lazy_gettext("%(user)s may not take tasks of the group %(group)s."),
    "user_managers_only": lazy_gettext("%(user)s may not take tasks without a group: only managers may."),
}


def error_text(error: RmaError) -> str:
    """What the page says for ``error``: its translated text, or the service's message."""
    template = TEXTS.get(error.code or "")
    if template is None:
        return error.message
    try:
        return str(template) % {name: _shown(name, value) for name, value in error.params.items()}
    except Exception:  # noqa: BLE001 - a label could not be read (database down?): the English message
        current_app.logger.exception("the error %s could not be translated", error.code)
        return error.message


def _shown(name: str, value: Any) -> str:
    if name == "status":
        return status_label(str(value))
    if name == "group":
        return group_label(value)
    if name == "role":
        return role_label(str(value))
    if name == "roles":
        return _(" or ").join(role_label(str(role)) for role in value)
    return str(value)
