"""The part of JSON Schema the staff pages can show as an HTML form, and the check that keeps forms in it.

A form file may use any validation keyword, but every value it describes must be something a person can
type, tick or pick in a page. The shapes (``field_kind``):

* ``object`` (a fieldset of its ``properties``, in ``ui:order`` first), ``rows`` (an array of objects,
  rows added and removed), ``list`` (an array of strings or numbers, one input per row), ``choices`` (an
  array of enum values, checkboxes), ``file`` (``ui:widget: file`` on an array of integer attachment
  ids, with ``ui:kind``);
* ``boolean`` (a checkbox), ``integer``, ``number``, ``select`` and ``radio`` (an ``enum``), ``date``,
  ``datetime`` (``format: date`` / ``date-time``), ``money`` (``ui:widget: money`` on a string with a
  pattern), ``textarea`` and ``text`` (any other string).

``subset_problems`` lists what falls outside, each at the path of the offending key, so deploy can
name its line. Subschemas under ``allOf``, ``anyOf``, ``oneOf``, ``not``, ``if``/``then``/``else`` and
``dependentSchemas`` only constrain: they may not bring fields of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .form_annotations import Path, Problem, ui_problems, widget_problems

# Formats shown with their own input (date, date-time) or as a text input whose value is checked.
FORMATS = ("date", "date-time", "time", "email", "uri", "uri-reference", "hostname", "ipv4", "ipv6", "uuid")
_BRANCHES_ONE = ("not", "if", "then", "else")
_BRANCHES_MANY = ("allOf", "anyOf", "oneOf")
_REFUSED = {
    "patternProperties": "patternProperties (fields named by a pattern) cannot be shown as a form; "
    "declare each field under properties",
    "prefixItems": "prefixItems (a tuple) cannot be shown as a form; use an array of objects",
    "$dynamicRef": "$dynamicRef cannot be followed by the form renderer; use $ref to #/$defs/...",
    "contains": "contains cannot be shown as a form; constrain the items instead",
    "unevaluatedItems": "unevaluatedItems cannot be shown as a form",
}
_MAX_REF_DEPTH = 16
ROWS_FIELD = "_rows"  # a page's hidden row count sits at "<array path>._rows"


# ---- shapes, shared with the renderer ----------------------------------------------------------------


def lookup(root: dict[str, Any], ref: str) -> tuple[Path, Any] | None:
    """The path and value ``ref`` (``#/$defs/x``, ``#anchor``) points to in ``root``; None if nothing."""
    if not ref.startswith("#"):
        return None
    if len(ref) > 1 and not ref.startswith("#/"):
        return _anchor(root, ref[1:], ())
    node: Any = root
    path: list[str | int] = []
    for raw in ref[2:].split("/") if len(ref) > 2 else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node, key = node[part], part
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node, key = node[int(part)], int(part)  # type: ignore[assignment]
        else:
            return None
        path.append(key)
    return tuple(path), node


def _anchor(node: Any, name: str, path: Path) -> tuple[Path, Any] | None:
    """The subschema with ``"$anchor": name``, depth first."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        if node.get("$anchor") == name:
            return path, node
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        if isinstance(child, dict | list) and (found := _anchor(child, name, (*path, key))):
            return found
    return None


def layers(node: dict[str, Any], root: dict[str, Any], path: Path = ()) -> list[tuple[Path, dict[str, Any]]]:
    """``node`` and what its ``$ref`` chain points to, nearest first, each with its path in the file."""
    out = [(path, node)]
    seen = {id(node)}
    while isinstance(ref := out[-1][1].get("$ref"), str) and len(out) < _MAX_REF_DEPTH:
        found = lookup(root, ref)
        if found is None or not isinstance(found[1], dict) or id(found[1]) in seen:
            break
        seen.add(id(found[1]))
        out.append(found)
    return out


def resolved(node: Any, root: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` chain merged in (the referring schema's own keywords win)."""
    if not isinstance(node, dict):
        return {}
    merged: dict[str, Any] = {}
    for _, layer in reversed(layers(node, root)):
        merged.update(layer)
    merged.pop("$ref", None)
    return merged


def json_type(schema: dict[str, Any]) -> str | None:
    """The one JSON type of ``schema``: its ``type``, or what all its ``enum``/``const`` values share."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return declared
    if declared is not None:
        return None
    values = schema["enum"] if isinstance(schema.get("enum"), list) else None
    if values is None and "const" in schema:
        values = [schema["const"]]
    if not values:
        return None
    kinds = {_type_of(value) for value in values}
    return kinds.pop() if len(kinds) == 1 else None


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", dict: "object", list: "array"}.get(type(value), "null")


def field_kind(schema: dict[str, Any], root: dict[str, Any]) -> str | None:
    """How a (resolved) schema is shown; None when it is outside the subset."""
    kind = json_type(schema)
    widget = schema.get("ui:widget")
    if kind == "object":
        return "object"
    if kind == "array":
        if widget == "file":
            return "file"
        items = resolved(schema.get("items"), root)
        item_kind = json_type(items)
        if isinstance(items.get("enum"), list) and item_kind in ("string", "integer", "number"):
            return "choices"
        if item_kind == "object":
            return "rows"
        if item_kind in ("string", "integer", "number") and field_kind(items, root) not in (None, "file"):
            return "list"
        return None
    if kind == "boolean":
        return "boolean"
    if isinstance(schema.get("enum"), list) and kind in ("string", "integer", "number"):
        return "radio" if widget == "radio" else "select"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        if widget == "money":
            return "money"
        if widget == "textarea":
            return "textarea"
        fmt = schema.get("format")
        return {"date": "date", "date-time": "datetime"}.get(fmt, "text") if isinstance(fmt, str) else "text"
    return None


def ordered_properties(schema: dict[str, Any]) -> list[str]:
    """The object's property names: those in ``ui:order`` first, in that order, then the rest as written."""
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    order = schema.get("ui:order")
    first = [n for n in order if n in names] if isinstance(order, list) else []
    return first + [n for n in names if n not in first]


# ---- deploy check ----------------------------------------------------------------------------------------


def subset_problems(form: dict[str, Any]) -> list[Problem]:
    """What in ``form`` (a valid JSON Schema that passed ``form_problems``) a form page cannot show."""
    if json_type(resolved(form, form)) != "object":
        return [(("type",) if "type" in form else (), 'A form is an object: give it "type": "object".')]
    problems: list[Problem] = []
    _field(form, form, (), problems, {}, 0)
    unique = dict.fromkeys(problems)  # a $defs entry used twice is reported once
    return list(unique)


def _field(
    node: Any,
    root: dict[str, Any],
    path: Path,
    problems: list[Problem],
    open_refs: dict[int, int],
    arrays: int,
) -> None:
    """Check one field; ``open_refs`` maps each definition being checked further up to the number of
    arrays passed when it was entered (``arrays`` now): a definition reached again inside its own rows
    is a tree the page grows row by row, one reached again without an array would be endless."""
    if not isinstance(node, dict):
        problems.append((path, "A field must be a schema object with a type (true/false cannot be shown)."))
        return
    stack = layers(node, root, path)
    targets = [id(layer) for _, layer in stack[1:]]
    again = next((t for t in targets if t in open_refs), None)
    if again is not None:
        if open_refs[again] == arrays:
            problems.append(
                (
                    path,
                    "This field contains itself through $ref without an array in between, so its form "
                    "would never end; put the repeated part in an array of rows.",
                )
            )
        return
    open_refs = {**open_refs, **dict.fromkeys(targets, arrays)}
    merged = resolved(node, root)

    def at(keyword: str) -> Path:
        return next((p + (keyword,) for p, layer in stack if keyword in layer), path)

    refused = [problem for layer_path, layer in stack for problem in _refused_keywords(layer, layer_path)]
    if refused:  # the rest of this field would only repeat the point
        problems.extend(refused)
        return
    declared = merged.get("type")
    if isinstance(declared, list):
        problems.append(
            (
                at("type"),
                f"type {declared!r} lists several types; a form field has one (leave an optional field "
                "out instead of allowing null).",
            )
        )
        return
    kind = field_kind(merged, root)
    if kind is None:
        problems.append((path, _no_kind(merged)))
        return
    problems.extend(widget_problems(merged, kind, at))
    item_enum = resolved(merged.get("items"), root).get("enum") if kind == "choices" else None
    problems.extend(ui_problems(merged, kind, item_enum, at))
    fmt = merged.get("format")
    if isinstance(fmt, str) and fmt not in FORMATS:
        problems.append(
            (at("format"), f"format {fmt!r} is not one a form shows; use one of {', '.join(FORMATS)}.")
        )
    declared_names = set(merged.get("properties") or {}) if kind == "object" else set()
    for layer_path, layer in stack:
        for how, branch_path, branch in _branches(layer, layer_path):
            _branch(branch, root, branch_path, how, declared_names, problems)
    if kind == "object":
        additional = merged.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            problems.append(
                (
                    at("additionalProperties"),
                    "additionalProperties with a schema (fields of any name) cannot be shown as a "
                    "form; declare each field under properties, or set it to false.",
                )
            )
        order = merged.get("ui:order")
        if order is not None:
            unknown = [n for n in order if n not in declared_names] if isinstance(order, list) else [order]
            if unknown or not all(isinstance(n, str) for n in order):
                problems.append(
                    (at("ui:order"), f"ui:order names {unknown!r}, which are not properties of this object.")
                )
        own_required = merged.get("required")
        own_required = own_required if isinstance(own_required, list) else []
        missing = [n for n in own_required if n not in declared_names]
        if missing:
            problems.append(
                (
                    at("required"),
                    f"required names {missing!r}, which are not properties of this object, so the form "
                    "could never be completed.",
                )
            )
        properties_path = at("properties")
        for name, sub in (merged.get("properties") or {}).items():
            if "." in name or name in ("", ROWS_FIELD) or name.startswith("_"):
                problems.append(
                    (
                        (*properties_path, name),
                        f"The field name {name!r} cannot be a form field: field names on a page are dotted "
                        "paths, so a name must not be empty, hold a dot or start with an underscore.",
                    )
                )
                continue
            _field(sub, root, (*properties_path, name), problems, open_refs, arrays)
    elif kind in ("rows", "list", "choices"):
        _field(merged.get("items"), root, at("items"), problems, open_refs, arrays + 1)


def _refused_keywords(layer: dict[str, Any], path: Path) -> Iterator[Problem]:
    for keyword, why in _REFUSED.items():
        if keyword in layer:
            yield (*path, keyword), why + "."


def _no_kind(schema: dict[str, Any]) -> str:
    if json_type(schema) == "array":
        items = schema.get("items")
        if isinstance(items, dict) and json_type(items) == "array":
            return (
                "An array of arrays cannot be shown as a form; make the inner array a property of an object."
            )
        return (
            "This array cannot be shown as a form: its items must be an enum (checkboxes), objects "
            '(rows), strings or numbers (one input each), or it takes "ui:widget": "file".'
        )
    return (
        "No type a form can show: give this field a type (string, integer, number, boolean, object or "
        "array), or an enum."
    )


def _branches(layer: dict[str, Any], path: Path) -> Iterator[tuple[str, Path, Any]]:
    for keyword in _BRANCHES_ONE:
        if keyword in layer:
            yield keyword, (*path, keyword), layer[keyword]
    for keyword in _BRANCHES_MANY:
        if isinstance(layer.get(keyword), list):
            for index, branch in enumerate(layer[keyword]):
                yield keyword, (*path, keyword, index), branch
    dependent = layer.get("dependentSchemas")
    if isinstance(dependent, dict):
        for name, branch in dependent.items():
            yield "dependentSchemas", (*path, "dependentSchemas", name), branch


def _branch(
    node: Any, root: dict[str, Any], path: Path, how: str, declared: set[str], problems: list[Problem]
) -> None:
    """A subschema that applies to the same value: it may constrain the declared fields, never add one."""
    if not isinstance(node, dict):
        return
    for layer_path, layer in layers(node, root, path):
        problems.extend(_refused_keywords(layer, layer_path))
        properties = layer.get("properties")
        if isinstance(properties, dict):
            for name in properties:
                if name not in declared:
                    problems.append(
                        (
                            (*layer_path, "properties", name),
                            f"{how} brings the field {name!r}, which the object does not declare under "
                            "its own properties; a form shows declared fields only, so declare it there "
                            "and only constrain it here.",
                        )
                    )
        required = layer.get("required")
        if isinstance(required, list):
            for name in required:
                if name not in declared:
                    problems.append(
                        (
                            (*layer_path, "required"),
                            f"{how} requires {name!r}, which the object does not declare under its own "
                            "properties, so the form could never be completed.",
                        )
                    )
        for inner_how, inner_path, inner in _branches(layer, layer_path):
            _branch(inner, root, inner_path, f"{how}/{inner_how}", declared, problems)
