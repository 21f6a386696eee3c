"""Why a case cannot move to another version, as a code and its parameters (``MoveReason``).

The English sentence of each code is here (the API and the service's errors say it); the pages say
their own translation of the code with the same parameters (``web/modeler/texts.py``). ``element``
is an element's id with its name in brackets when it has one, ``state`` one of ``STATES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATES = ("active", "waiting", "in error")
REASONS = {
    "element_removed_now": (
        "element {element} of {process} is {state} now and version {version} has no such element"
    ),
    "element_removed_passed": (
        "the case passed element {element} of {process}, which version {version} no longer has"
    ),
    "element_removed_ahead": (
        "element {element} of {process} lies ahead of the case and version {version} has no such element"
    ),
    "element_kind_changed": (
        "element {element} of {process} is {state} now and is a {kind} in version {version}, not a {was}"
    ),
    "event_changed": (
        "element {element} of {process} is {state} now and waits for another event in version {version}"
    ),
    "called_process_changed": (
        "element {element} of {process} runs '{called}' now and calls another process in version {version}"
    ),
    "loop_changed": (
        "element {element} of {process} runs its instances now; its loop settings differ in version {version}"
    ),
    "subprocess_missing": "the called process '{process}' runs now and is not part of version {version}",
    "start_field_missing": (
        "the case data has no '{field}', which the start form of version {version} ({form}) requires"
    ),
    "case_in_error": "the case is in error: retry or resolve its incident on its own version first",
    "case_not_running": "the case is {status}: only running or suspended cases move",
    "case_gone": "the case is gone",
}


@dataclass(frozen=True)
class MoveReason:
    """One reason a case cannot move: ``REASONS[code]`` filled in with ``params``."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return REASONS[self.code].format(**self.params)

    def __str__(self) -> str:
        return self.text


def reason(code: str, **params: str | int) -> MoveReason:
    return MoveReason(code, params)
