"""Field errors and the form's own words in the page's language (Flask-Babel catalogues, zh_CN and en).

The service phrases a field error once, in English, for the API (``InvalidData.items``); its
``problems`` keep the JSON Schema keyword and parameters, which are phrased here again per keyword.
A keyword without a phrase here keeps the service's English message.

Trap: Babel reads ``zh_CN`` as ``zh_Hans_CN`` (likely subtags), and the catalogue is then looked up under
``zh_Hans_CN``, then ``zh``, never ``zh_CN``: compile the ``zh_CN`` catalogue into ``translations/zh``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from ...errors import InvalidData

FORMATS = {
    "date": lambda: _("a date (year-month-day)"),
    "date-time": lambda: _("a date and time"),
    "email": lambda: _("an e-mail address"),
    "uri": lambda: _("a web address (URL)"),
}
TYPES = {
    "integer": lambda: _("a whole number"),
    "number": lambda: _("a number"),
    "string": lambda: _("text"),
    "boolean": lambda: _("yes or no"),
    "object": lambda: _("a group of fields"),
    "array": lambda: _("a list"),
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type(params: Mapping[str, Any]) -> str:
    named = TYPES.get(str(params.get("type")))
    return _("Enter %(what)s.", what=named()) if named else _("This value has the wrong type.")


def _format(params: Mapping[str, Any]) -> str | None:
    named = FORMATS.get(str(params.get("format")))
    return _("Enter %(what)s.", what=named()) if named else None


def _const(params: Mapping[str, Any]) -> str:
    if params.get("value") is True:
        return _("This box must be ticked.")
    return _("The only accepted value here is %(value)s.", value=_shown(params.get("value")))


def _limit(params: Mapping[str, Any]) -> str:
    return _shown(params.get("limit"))


PHRASES: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "required": lambda p: _("This field is required."),
    "type": _type,
    "pattern": lambda p: _("This value is not in the expected form."),
    "minLength": lambda p: _("Enter at least %(limit)s characters.", limit=_limit(p)),
    "maxLength": lambda p: _("Enter at most %(limit)s characters.", limit=_limit(p)),
    "minimum": lambda p: _("Enter %(limit)s or more.", limit=_limit(p)),
    "maximum": lambda p: _("Enter %(limit)s or less.", limit=_limit(p)),
    "exclusiveMinimum": lambda p: _("Enter more than %(limit)s.", limit=_limit(p)),
    "exclusiveMaximum": lambda p: _("Enter less than %(limit)s.", limit=_limit(p)),
    "enum": lambda p: _("Choose one of the listed values."),
    "const": _const,
    "format": _format,
    "minItems": lambda p: _("Give at least %(limit)s.", limit=_limit(p)),
    "maxItems": lambda p: _("Give at most %(limit)s.", limit=_limit(p)),
    "uniqueItems": lambda p: _("Each entry may appear only once."),
    "additionalProperties": lambda p: _(
        "These fields are not part of the form: %(names)s.", names=", ".join(map(str, p.get("names", [])))
    ),
}


def phrase(problem: Mapping[str, Any], locale: object) -> str:
    """One problem (``{field, keyword, params, message}``) in ``locale``'s words."""
    with force_locale(str(locale)):
        phraser = PHRASES.get(str(problem.get("keyword")))
        text = phraser(problem.get("params") or {}) if phraser else None
    return str(text) if text else str(problem.get("message", ""))


def field_errors(problems: Iterable[Mapping[str, Any]] | InvalidData, locale: object) -> list[dict[str, str]]:
    """``{field, message}`` items for ``render_form``, in ``locale``: from an ``InvalidData`` or its
    ``problems``, or a parse's ``ParsedForm.errors``."""
    items = problems.problems if isinstance(problems, InvalidData) else problems
    return [{"field": str(item.get("field") or ""), "message": phrase(item, locale)} for item in items]


def form_texts(locale: object) -> dict[str, str]:
    """The words of the form itself: the required mark's title, the row buttons, the choice prompt."""
    with force_locale(str(locale)):
        return {
            "required": _("required"),
            "choose": _("Choose…"),
            "add": _("Add a row"),
            "remove": _("Remove"),
            "attached": _("Files already attached"),
        }
