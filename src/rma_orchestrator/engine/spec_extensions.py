"""What the spiffworkflow extensions of a parsed task spec say (properties, form file)."""

from __future__ import annotations

from typing import Any

from .bpmn_xml import FORM_PROPERTY


def spec_properties(task_spec: Any) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec as a dict (empty for specs without extensions)."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def task_form(task_spec: Any) -> str | None:
    """formJsonSchemaFilename of a user task or start event spec (from spiffworkflow:property), else None."""
    return spec_properties(task_spec).get(FORM_PROPERTY)
