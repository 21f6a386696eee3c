"""Server-side validation of submitted data against a form's JSON Schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from ..engine.bundle import ProcessDefinition
from ..engine.form_annotations import FILE_ACCEPT, FILE_KINDS
from ..engine.form_subset import field_kind, json_type, ordered_properties, resolved
from ..errors import InvalidData

# How the form pages show a schema (web/forms), decided with the deploy check that keeps forms showable.
__all__ = [
    "FILE_ACCEPT",
    "FILE_KINDS",
    "field_kind",
    "json_type",
    "ordered_properties",
    "resolved",
    "validate_data",
    "validate_form",
]


def validate_form(definition: ProcessDefinition, name: str, data: Any, now: datetime | None = None) -> None:
    """Raise InvalidData where ``data`` breaks the form ``name`` of this version (its own validator).

    With ``now`` (the service's clock), a field marked ``"ui:notInFuture": true`` must not be later.
    """
    validate_data(name, definition.form_validator(name), data)
    if now is not None:
        form = definition.forms[name]
        problems = list(_future_values(form, form, data, now, ""))
        if problems:
            errors = [{"field": field, "message": message} for field, message in problems]
            detailed = [{**error, "keyword": "ui:notInFuture", "params": {}} for error in errors]
            raise InvalidData(f"data does not match the form {name}", errors, detailed)


def _future_values(
    schema: dict[str, Any], root: dict[str, Any], value: Any, now: datetime, path: str
) -> Iterator[tuple[str, str]]:
    """(field, message) for each value of a ``ui:notInFuture`` field later than ``now``."""
    node = resolved(schema, root)
    if node.get("ui:notInFuture") is True and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return
        # a date is in the future when it starts after today anywhere on earth (UTC+14 at most)
        today = (now + timedelta(hours=14)).date()
        if moment.date() > today if moment.tzinfo is None else moment > now:
            yield path, f"{path} must not be in the future (it is {value}; now is {now.isoformat()})"
    properties = node.get("properties")
    if isinstance(properties, dict) and isinstance(value, dict):
        for key, sub in properties.items():
            if key in value:
                yield from _future_values(sub, root, value[key], now, _join(path, key))


def validate_data(name: str, validator: Validator, data: Any) -> None:
    """Raise InvalidData listing every ``{field, message}`` where ``data`` breaks the form's validator.

    Validators come from ``engine.form_schema``: no remote references, RE2 patterns. The error's
    ``problems`` add the keyword and its parameters to each item, for pages in other languages.
    """
    if not isinstance(data, dict):
        message = "data must be a JSON object"
        raise InvalidData(
            message,
            [{"field": "", "message": message}],
            [{"field": "", "keyword": "type", "params": {"type": "object"}, "message": message}],
        )
    problems: list[dict[str, Any]] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = [str(part) for part in error.absolute_path]
        if (
            error.validator == "required"
            and isinstance(error.instance, dict)
            and isinstance(error.validator_value, list)
        ):
            missing = [r for r in error.validator_value if r not in error.instance]
            for field in missing:
                problems.append(
                    {
                        "field": ".".join([*path, field]),
                        "keyword": "required",
                        "params": {"property": field},
                        "message": f"{field} is required",
                    }
                )
            continue
        problems.append(
            {
                "field": ".".join(path),
                "keyword": str(error.validator),
                "params": _params(error),
                "message": error.message,
            }
        )
    if problems:
        errors = [{"field": p["field"], "message": p["message"]} for p in problems]
        raise InvalidData(f"data does not match the form {name}", errors, problems)


_LIMITS = frozenset(
    {
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)


def _params(error: ValidationError) -> dict[str, Any]:
    """What the failed keyword asked for, by name, for a message in another language."""
    keyword, value = error.validator, error.validator_value
    if keyword in _LIMITS:
        return {"limit": value}
    if keyword in ("type", "format", "pattern"):
        return {str(keyword): value}
    if keyword == "enum":
        return {"values": list(value) if isinstance(value, list) else []}
    if keyword == "const":
        return {"value": value}
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return {"names": sorted(k for k in error.instance if k not in declared)}
    return {}


FILE_WIDGET = "file"
_MAX_SCHEMA_DEPTH = 64  # levels of a form walked for file fields ($refs included)


class FileReference(NamedTuple):
    """An attachment id a form's file field holds: where, which, and the kind the field takes
    (its ``ui:kind``, None when it names none)."""

    path: str
    id: int
    kind: str | None


def file_references(schema: dict[str, Any], data: Any) -> list[FileReference]:
    """The attachment ids ``data`` holds in the form's file fields, each with its dotted field path.

    A file field is a property with ``"ui:widget": "file"``; its value is a list of attachment ids
    (a single id is taken too). Nested objects, arrays of objects and local ``$ref``s
    (``#/$defs/...``) are followed. Validate ``data`` against the form first: what is not an id
    is skipped here.
    """
    found: list[FileReference] = []
    _walk(schema, schema, data, "", found, 0, None)
    return found


def _walk(
    root: dict[str, Any],
    node: Any,
    value: Any,
    path: str,
    found: list[FileReference],
    depth: int,
    kind: str | None,
) -> None:
    if depth > _MAX_SCHEMA_DEPTH or not isinstance(node, dict):
        return
    own_kind = node.get("ui:kind")
    kind = own_kind if isinstance(own_kind, str) else kind  # a $ref'd field keeps the referrer's kind
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"))
        _walk(root, target, value, path, found, depth + 1, kind)
    if node.get("ui:widget") == FILE_WIDGET:
        if isinstance(value, list):
            found.extend(FileReference(_join(path, i), v, kind) for i, v in enumerate(value) if _is_id(v))
        elif _is_id(value):
            found.append(FileReference(path, value, kind))
        return
    properties = node.get("properties")
    if isinstance(value, dict) and isinstance(properties, dict):
        for key, inner in properties.items():
            if key in value:
                _walk(root, inner, value[key], _join(path, key), found, depth + 1, None)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            _walk(root, node["items"], item, _join(path, index), found, depth + 1, None)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
