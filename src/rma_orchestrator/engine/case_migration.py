"""Moving one running workflow to another version of its definition (issue 12, point 5).

``check`` says whether a restored workflow can move to a target version and, when not, why, in
words an analyst can act on; ``migrate`` moves it with SpiffWorkflow's own diff and migration
(``SpiffWorkflow.bpmn.util.diff``), never by editing the task tree by hand.

What "can move" means, checked for the top process and for every called process or subprocess
that runs now (each against the target's spec of the same process id):

- every task of the workflow that is not finished (active, waiting, in error) has its element in
  the target (SpiffWorkflow aligns elements by id, and by position when an id changed), and the
  element is still of the same kind (a user task stays a user task, a timer event keeps a timer);
- a call activity that runs now still calls the same process, and a multi-instance activity that
  runs now keeps its loop settings (its running instances were made from them);
- every element the case has passed (its finished tasks) is still in the target: the restored
  state names each task's element, and one that is gone could not be read back;
- the data contract: every field the target's start form requires (``required``, also inside
  required objects) is in the case data, not null. A case started on the old version without a
  field the new version asks for at its start would meet later elements that read it.

``migrate`` then swaps the specs and lets SpiffWorkflow reset and re-predict the active and
waiting branches. Timers: one whose definition is unchanged keeps its due time exactly; one
whose definition changed is computed again by its new expression as of the moment its wait
began (``waits_since``: a reminder changed from 7 to 5 days is due 5 days after the wait began,
not 5 days after the migration), or as of the migration when that moment is unknown. Open user
tasks keep their task ids (and so their rows, assignees and claims) and their data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.event_definition import MultipleEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import clockhook
from .bundle import ProcessDefinition
from .decisions import ReplacingBusinessRuleTask
from .move_reasons import MoveReason, reason
from .multiple_events import MultipleEvents

_LOOP_SETTINGS = ("cardinality", "data_input", "data_output", "input_item", "output_item", "condition")
_NOT_FINISHED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE


def _diff_registry() -> Any:
    """A converter registry that can describe every spec class our parser makes (for comparing)."""
    config = dict(SPIFF_CONFIG)
    config[ReplacingBusinessRuleTask] = BusinessRuleTaskConverter
    config[MultipleEvents] = MultipleEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config)


_REGISTRY = _diff_registry()


class CaseNotMovable(ValueError):  # noqa: N818 - reads as the sentence it is
    """The workflow cannot move to the target version; the message gives every reason."""


@dataclass(frozen=True)
class MoveCheck:
    """Whether a workflow can move to a target version, with every reason it cannot."""

    reasons: tuple[MoveReason, ...]

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class TimerMove:
    """A waiting timer before and after the move (due times as stored by the engine)."""

    task_id: str
    element_id: str
    before: str | None
    after: str | None
    recomputed: bool


def check(
    workflow: BpmnWorkflow, target: ProcessDefinition, version: int, data: Mapping[str, Any]
) -> MoveCheck:
    """Every reason ``workflow`` cannot move to ``target`` (version ``version``); none: it can."""
    reasons: list[MoveReason] = []
    top_diff, sub_diffs = diff_workflow(_REGISTRY, workflow, target.spec, target.subprocess_specs)
    spec_diff = SpecDiff(_REGISTRY, workflow.spec, target.spec)
    reasons += _reasons(workflow, top_diff, spec_diff, version, workflow.spec.name)
    for sp_id, sub in workflow.subprocesses.items():
        name = sub.spec.name
        new_spec = target.subprocess_specs.get(name)
        diff = sub_diffs.get(sp_id)
        if diff is None or new_spec is None:
            reasons.append(reason("subprocess_missing", process=name, version=version))
            continue
        reasons += _reasons(sub, diff, SpecDiff(_REGISTRY, sub.spec, new_spec), version, name)
    reasons += _missing_start_fields(target, version, data)
    return MoveCheck(tuple({found.text: found for found in reasons}.values()))


def _reasons(
    workflow: BpmnWorkflow, diff: WorkflowDiff, spec_diff: SpecDiff, version: int, process: str
) -> list[MoveReason]:
    reasons = []
    removed = set(id(task) for task in diff.removed)
    for task in workflow.get_tasks(skip_subprocesses=True):
        spec = task.task_spec
        at: dict[str, str | int] = {"element": _element(spec), "process": process, "version": version}
        if id(task) in removed:
            if task.has_state(_NOT_FINISHED):
                reasons.append(reason("element_removed_now", state=_state(task), **at))
            elif task.has_state(TaskState.FINISHED_MASK) and spec.bpmn_id is not None:
                reasons.append(reason("element_removed_passed", **at))
            elif task.has_state(_PREDICTED) and not _under_reset(task):
                reasons.append(reason("element_removed_ahead", **at))
            continue
        if not task.has_state(_NOT_FINISHED):
            continue
        changes = spec_diff.changed.get(spec, [])
        new = diff.alignment.get(task)
        if "typename" in changes:
            kind = type(new).__name__ if new is not None else "?"
            was = type(spec).__name__
            reasons.append(reason("element_kind_changed", state=_state(task), kind=kind, was=was, **at))
        elif new is not None and _event_kind(spec) != _event_kind(new):
            reasons.append(reason("event_changed", state=_state(task), **at))
        elif _running(task, SubWorkflowTask) and spec.spec != getattr(new, "spec", None):
            reasons.append(reason("called_process_changed", called=str(spec.spec), **at))
        elif _running(task, LoopTask) and any(
            getattr(spec, key, None) != getattr(new, key, None) for key in _LOOP_SETTINGS
        ):
            reasons.append(reason("loop_changed", **at))
    return reasons


def _running(task: Task, kind: type) -> bool:
    return isinstance(task.task_spec, kind) and task.state == TaskState.STARTED


def _under_reset(task: Task) -> bool:
    """A predicted task below a ready or waiting one: the move predicts that branch afresh."""
    parent = task.parent
    while parent is not None:
        if parent.has_state(TaskState.READY | TaskState.WAITING):
            return True
        parent = parent.parent
    return False


def _missing_start_fields(
    target: ProcessDefinition, version: int, data: Mapping[str, Any]
) -> list[MoveReason]:
    if target.start_form is None or target.start_form not in target.forms:
        return []
    reasons = []
    for path in required_fields(target.forms[target.start_form]):
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            reasons.append(reason("start_field_missing", field=path, version=version, form=target.start_form))
    return reasons


def migrate(
    workflow: BpmnWorkflow,
    target: ProcessDefinition,
    version: int,
    data: Mapping[str, Any],
    waits_since: Mapping[str, datetime] | None = None,
) -> list[TimerMove]:
    """Move ``workflow`` onto ``target``'s specs; what became of its waiting timers.

    Raises CaseNotMovable (the workflow unchanged) when ``check`` finds a reason, and when a
    changed timer's new expression fails (the workflow must then be thrown away: it was changed).
    """
    found = check(workflow, target, version, data)
    if not found.movable:
        raise CaseNotMovable("; ".join(r.text for r in found.reasons))
    since = waits_since or {}
    top_diff, sub_diffs = diff_workflow(_REGISTRY, workflow, target.spec, target.subprocess_specs)
    changed = _changed_specs(workflow, target)
    before = _waiting_timers(workflow)
    kept_data = {t.id: copy.deepcopy(t.data) for t in workflow.get_tasks(state=TaskState.READY)}
    workflow.subprocess_specs = dict(target.subprocess_specs)
    migrate_workflow(top_diff, workflow, target.spec)
    for sp_id, sub in workflow.subprocesses.items():
        diff = sub_diffs[sp_id]
        assert diff is not None  # check() refused the workflow otherwise
        migrate_workflow(diff, sub, target.subprocess_specs[sub.spec.name])
    for task in workflow.get_tasks(state=TaskState.READY):
        if task.id in kept_data:
            task.data = kept_data[task.id]
    return _settle_timers(workflow, before, changed, since)


def _changed_specs(workflow: BpmnWorkflow, target: ProcessDefinition) -> set[tuple[str, str]]:
    """(process id, element id) of every element whose definition differs in the target."""
    pairs = [(workflow.spec, target.spec)]
    pairs += [(sub.spec, target.subprocess_specs[sub.spec.name]) for sub in workflow.subprocesses.values()]
    changed: set[tuple[str, str]] = set()
    for old, new in pairs:
        for spec in SpecDiff(_REGISTRY, old, new).changed:
            changed.add((old.name, spec.name))
    return changed


def _waiting_timers(workflow: BpmnWorkflow) -> dict[Any, tuple[str, str | None]]:
    return {
        task.id: (task.task_spec.bpmn_id, task._get_internal_data("event_value"))
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
    }


def _settle_timers(
    workflow: BpmnWorkflow,
    before: dict[Any, tuple[str, str | None]],
    changed: set[tuple[str, str]],
    since: Mapping[str, datetime],
) -> list[TimerMove]:
    """Put back the due time of each unchanged timer; compute each changed one as of its wait's start."""
    moves = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if not isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            continue
        element, old_value = before.get(task.id, (task.task_spec.bpmn_id, None))
        recomputed = old_value is None or (task.workflow.spec.name, task.task_spec.name) in changed
        if not recomputed:
            task._set_internal_data(event_value=old_value)
        else:
            began = since.get(str(task.id))
            try:
                with _engine_time(began):
                    task.internal_data.pop("event_value", None)
                    task.task_spec._update(task)
            except Exception as error:  # noqa: BLE001 - the new expression is analyst code
                raise CaseNotMovable(f"the timer {element} of the target version fails: {error}") from error
        after = task._get_internal_data("event_value")
        moves.append(TimerMove(str(task.id), element, old_value, after, recomputed))
    return moves


@contextmanager
def _engine_time(moment: datetime | None) -> Iterator[None]:
    if moment is None:
        yield
        return
    with clockhook.engine_time(moment):
        yield


def _event_kind(spec: Any) -> str | None:
    definition = getattr(spec, "event_definition", None)
    return type(definition).__name__ if definition is not None else None


def _element(spec: Any) -> str:
    """The element's id, with its name in brackets when it has one."""
    name = spec.bpmn_name or spec.bpmn_id or spec.name
    where = f" ({name})" if name != spec.bpmn_id and spec.bpmn_id else ""
    return f"{spec.bpmn_id or spec.name}{where}"


def _state(task: Task) -> str:
    return {TaskState.READY: "active", TaskState.STARTED: "active", TaskState.ERROR: "in error"}.get(
        task.state, "waiting"
    )


def required_fields(schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the fields a JSON Schema form requires (inside required objects too)."""
    properties = schema.get("properties")
    fields = []
    for name in schema.get("required") or []:
        if not isinstance(name, str):
            continue
        fields.append(prefix + name)
        inner = properties.get(name) if isinstance(properties, Mapping) else None
        if isinstance(inner, Mapping) and inner.get("type") == "object":
            fields += required_fields(inner, f"{prefix}{name}.")
    return fields
