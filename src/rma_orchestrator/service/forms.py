"""Server-side validation of submitted data against a form's JSON Schema."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema.protocols import Validator

from ..engine.form_schema import form_validator
from ..errors import InvalidData


@lru_cache(maxsize=256)
def _validator(schema_key: str, schema_json: str) -> Validator:
    """No remote references, RE2 patterns: see ``engine.form_schema``."""
    import json

    return form_validator(json.loads(schema_json))


def validate_form(name: str, schema: dict[str, Any], data: Any) -> None:
    """Raise InvalidData listing every ``{field, message}`` where ``data`` breaks ``schema``."""
    import json

    if not isinstance(data, dict):
        raise InvalidData(
            "data must be a JSON object", [{"field": "", "message": "data must be a JSON object"}]
        )
    validator = _validator(name, json.dumps(schema, sort_keys=True))
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
