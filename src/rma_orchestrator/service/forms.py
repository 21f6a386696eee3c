"""Server-side validation of submitted data against a form's JSON Schema."""

from __future__ import annotations

from typing import Any

from jsonschema.protocols import Validator

from ..engine.bundle import ProcessDefinition
from ..errors import InvalidData


def validate_form(definition: ProcessDefinition, name: str, data: Any) -> None:
    """Raise InvalidData where ``data`` breaks the form ``name`` of this version (its own validator)."""
    validate_data(name, definition.form_validator(name), data)


def validate_data(name: str, validator: Validator, data: Any) -> None:
    """Raise InvalidData listing every ``{field, message}`` where ``data`` breaks the form's validator.

    Validators come from ``engine.form_schema``: no remote references, RE2 patterns.
    """
    if not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "", "message": "data must be a JSON object"}]
        )
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = [str(part) for part in error.absolute_path]
        if (
            error.validator == "required"
            and isinstance(error.instance, dict)
            and isinstance(error.validator_value, list)
        ):
            missing = [r for r in error.validator_value if r not in error.instance]
            for field in missing:
                errors.append({"field": ".".join([*path, field]), "message": f"{field} is required"})
            continue
        errors.append({"field": ".".join(path), "message": error.message})
    if errors:
        raise InvalidData(f"data does not match the form {name}", errors)
