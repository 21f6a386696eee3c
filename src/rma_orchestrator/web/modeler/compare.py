"""``/modeler/processes/<key>/compare?from=&to=``: two versions of a process side by side, what was
added (green, "+"), removed (red, "−") and changed (orange, "~") marked on the diagrams by
static/version_compare.js, the changes listed with what changed in each, and the decision table rows
that changed as before/after tables. ``to`` defaults to the latest version, ``from`` to the one
before it."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from ...errors import InvalidData
from ...service import version_compare
from ...service.version_compare import DiagramComparison, RuleChange
from ..auth import services
from ..shell import require_page_actor
from . import bp

CHANGE_LABELS = {
    "added": lazy_gettext("Added"),
    "removed": lazy_gettext("Removed"),
    "changed": lazy_gettext("Changed"),
}
CHANGE_BADGES = {"added": "+", "removed": "−", "changed": "~"}
ASPECT_LABELS = {
    "type": lazy_gettext("Element type"),
    "event": lazy_gettext("Event kind"),
    "name": lazy_gettext("Name"),
    "process": lazy_gettext("Process"),
    "lane": lazy_gettext("Lane"),
    "attached_to": lazy_gettext("Attached to"),
    "interrupting": lazy_gettext("Interrupting"),
    "source": lazy_gettext("Flow from"),
    "target": lazy_gettext("Flow to"),
    "condition": lazy_gettext("Condition"),
    "default_flow": lazy_gettext("Default flow"),
    "timer": lazy_gettext("Timer"),
    "message": lazy_gettext("Message"),
    "message_variable": lazy_gettext("Payload variable"),
    "script": lazy_gettext("Script"),
    "preScript": lazy_gettext("Script before"),
    "postScript": lazy_gettext("Script after"),
    "instructionsForEndUser": lazy_gettext("Instructions"),
    "property": lazy_gettext("Property"),
    "called_decision": lazy_gettext("Decision table"),
    "called_process": lazy_gettext("Called process"),
    "process_ref": lazy_gettext("Process of the pool"),
    "documentation": lazy_gettext("Documentation"),
    "extension": lazy_gettext("Extension"),
    "other": lazy_gettext("Other settings"),
}
COLUMN_KINDS = {"input": lazy_gettext("Input"), "output": lazy_gettext("Output")}
FILE_KINDS = {".bpmn": "BPMN", ".dmn": "DMN", ".json": lazy_gettext("Form")}


@bp.get("/processes/<key>/compare")
def compare(key: str) -> ResponseReturnValue:
    actor = require_page_actor()
    versions = version_compare.list_versions(services(), key, actor)
    to_version = _version("to", versions[-1])
    from_version = _version("from", max(v for v in versions if v < to_version) if to_version > 1 else 1)
    compared = version_compare.compare_diagrams(services(), key, from_version, to_version, actor)
    return render_template(
        "modeler/compare.html",
        key=key,
        versions=versions,
        compared=compared.comparison,
        drawing=_drawing(compared),
        change_labels=CHANGE_LABELS,
        badges=CHANGE_BADGES,
        aspect_labels=ASPECT_LABELS,
        column_kinds=COLUMN_KINDS,
        file_kind=lambda name: FILE_KINDS.get(name[name.rfind(".") :], ""),
        rule_columns=rule_columns,
    )


def _version(name: str, default: int) -> int:
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise InvalidData(f"bad {name}", [{"field": name, "message": "must be a version number"}])
    return int(value)


def _drawing(compared: DiagramComparison) -> dict[str, Any]:
    """What static/version_compare.js draws: both diagrams and each changed element's kind of change."""
    return {
        "before": compared.before_xml,
        "after": compared.after_xml,
        "changes": [{"id": e.id, "change": e.change} for e in compared.comparison.elements],
        "badges": CHANGE_BADGES,
        "titles": {change: str(label) for change, label in CHANGE_LABELS.items()},
    }


def rule_columns(rule: RuleChange) -> tuple[list[str], list[str]]:
    """The input and output columns of a rule's before/after table: both versions' in order."""

    def union(*cells: dict[str, str] | None) -> list[str]:
        return list(dict.fromkeys(key for each in cells if each for key in each))

    return (
        union(rule.inputs_before, rule.inputs_after),
        union(rule.outputs_before, rule.outputs_after),
    )
