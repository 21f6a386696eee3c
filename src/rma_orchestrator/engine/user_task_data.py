"""The data a completed user task adds to the process: its form data, under one name if the task says so."""

from __future__ import annotations

from typing import Any


def form_result(task_spec: object, data: dict[str, Any]) -> dict[str, Any]:
    """``{name: data}`` when the user task sets ``spiffworkflow:variableName="name"``, else ``data``.

    SpiffWorkflow's parser keeps the name as ``UserTask.variable`` but only its
    ``add_data_from_form`` applies it, which deep-merges lists; callers that write task data
    themselves merge this result instead.
    """
    name = getattr(task_spec, "variable", None)
    return {name: data} if isinstance(name, str) and name else data
