"""Why a case cannot move (``engine.move_reasons``), in the page's language: each code's text with
its parameters, a state or a case status named as the pages name them. The API keeps the English."""

from __future__ import annotations

from flask_babel import lazy_gettext

from ...engine.move_reasons import MoveReason
from ..labels import status_label

TEXTS = {
    "element_removed_now": lazy_gettext(
        "Element %(element)s of %(process)s is %(state)s now and version %(version)s has no such element."
    ),
    "element_removed_passed": lazy_gettext(
        "The case passed element %(element)s of %(process)s, which version %(version)s no longer has."
    ),
    "element_removed_ahead": lazy_gettext(
        "Element %(element)s of %(process)s lies ahead of the case and version %(version)s has no "
        "such element."
    ),
    "element_kind_changed": lazy_gettext(
        "Element %(element)s of %(process)s is %(state)s now and is a %(kind)s in version %(version)s, "
        "not a %(was)s."
    ),
    "event_changed": lazy_gettext(
        "Element %(element)s of %(process)s is %(state)s now and waits for another event in version "
        "%(version)s."
    ),
    "called_process_changed": lazy_gettext(
        "Element %(element)s of %(process)s runs %(called)s now and calls another process in version "
        "%(version)s."
    ),
    "loop_changed": lazy_gettext(
        "Element %(element)s of %(process)s runs its instances now; its loop settings differ in version "
        "%(version)s."
    ),
    "subprocess_missing": lazy_gettext(
        "The called process %(process)s runs now and is not part of version %(version)s."
    ),
    "start_field_missing": lazy_gettext(
        "The case data has no %(field)s, which the start form of version %(version)s (%(form)s) requires."
    ),
    "case_in_error": lazy_gettext(
        "The case is stopped at an error: retry or resolve its incident on its own version first."
    ),
    "case_not_running": lazy_gettext("The case is %(status)s: only running or suspended cases move."),
    "case_gone": lazy_gettext("The case is gone."),
}
STATES = {
    "active": lazy_gettext("active"),
    "waiting": lazy_gettext("waiting"),
    "in error": lazy_gettext("in error"),
}


def reason_text(reason: MoveReason) -> str:
    """The reason in the page's language (its English text for a code this page does not know)."""
    template = TEXTS.get(reason.code)
    if template is None:
        return reason.text
    shown = {name: _shown(name, value) for name, value in reason.params.items()}
    try:
        return str(template) % shown
    except (KeyError, TypeError, ValueError):
        return reason.text


def _shown(name: str, value: str | int) -> str:
    if name == "state":
        return str(STATES.get(str(value), value))
    if name == "status":
        return status_label(str(value))
    return str(value)
