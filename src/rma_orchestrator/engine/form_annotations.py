"""The ``ui:`` annotations a form field may carry (widget, file kind, enum labels), and their checks.

``ui_problems`` also receives the enum of an array's items (``item_enum``), resolved by the caller,
so this module needs nothing of the schema walk in ``form_subset``.
"""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

WIDGETS = {
    "text": ("string",),
    "textarea": ("string",),
    "select": ("enum",),
    "radio": ("enum",),
    "checkbox": ("boolean", "choices"),
    "money": ("string",),
    "file": ("file",),
}
FILE_KINDS = ("photo", "proof_of_purchase", "evidence", "other")
FILE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


UI_KEYWORDS = frozenset(
    {
        "ui:widget",
        "ui:kind",
        "ui:order",
        "ui:help",
        "ui:placeholder",
        "ui:readonly",
        "ui:labels",
        "ui:notInFuture",
    }
)


def ui_problems(schema: dict[str, Any], kind: str, item_enum: Any, at: Any) -> list[Problem]:
    """Unknown ``ui:`` keywords (a misspelt one would be ignored in silence) and ``ui:labels``: the
    bilingual label of each enum value, for a select, radios or checkboxes."""
    problems: list[Problem] = [
        (at(key), f"{key} is not a form annotation; use one of {', '.join(sorted(UI_KEYWORDS))}.")
        for key in schema
        if isinstance(key, str) and key.startswith("ui:") and key not in UI_KEYWORDS
    ]
    not_in_future = schema.get("ui:notInFuture")
    misplaced = kind not in ("date", "datetime")
    if not_in_future is not None and (not isinstance(not_in_future, bool) or misplaced):
        problems.append(
            (at("ui:notInFuture"), "ui:notInFuture is true or false, on a date or date-time field.")
        )
    labels = schema.get("ui:labels")
    if labels is None:
        return problems
    values = schema.get("enum") if kind in ("select", "radio") else None
    if kind == "choices":
        values = item_enum
    if not isinstance(values, list):
        return [*problems, (at("ui:labels"), "ui:labels belongs to a field with enum values.")]
    if not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
        return [*problems, (at("ui:labels"), "ui:labels maps each enum value to its label text.")]
    unknown = sorted(set(labels) - {str(v) for v in values})
    if unknown:
        problems.append((at("ui:labels"), f"ui:labels names {unknown!r}, which are not values of the enum."))
    return problems


def widget_problems(schema: dict[str, Any], kind: str, at: Any) -> list[Problem]:
    problems: list[Problem] = []
    widget = schema.get("ui:widget")
    if widget is not None and widget not in WIDGETS:
        known = ", ".join(WIDGETS)
        problems.append((at("ui:widget"), f"ui:widget {widget!r} is unknown; use one of {known}."))
    elif widget is not None:
        fits = WIDGETS[widget]
        shape = "string" if kind in ("text", "textarea", "money", "date", "datetime") else kind
        if shape in ("select", "radio"):
            shape = "enum"
        if shape not in fits:
            problems.append((at("ui:widget"), f"ui:widget {widget!r} does not fit this {kind} field."))
        if widget == "money" and not isinstance(schema.get("pattern"), str):
            problems.append(
                (at("ui:widget"), 'ui:widget "money" needs a pattern for its decimal string (two places).')
            )
    if widget == "file":
        items = schema.get("items")
        if not isinstance(items, dict) or items.get("type") != "integer":
            problems.append(
                (
                    at("ui:widget"),
                    'ui:widget "file" is for {"type": "array", "items": {"type": "integer"}} '
                    "(the attachment ids).",
                )
            )
        file_kind = schema.get("ui:kind")
        if file_kind not in FILE_KINDS:
            problems.append(
                (
                    at("ui:kind") if "ui:kind" in schema else at("ui:widget"),
                    f"ui:kind is {file_kind!r}; a file field needs one of {', '.join(FILE_KINDS)}.",
                )
            )
    elif "ui:kind" in schema:
        problems.append((at("ui:kind"), 'ui:kind belongs to a "ui:widget": "file" field only.'))
    return problems
