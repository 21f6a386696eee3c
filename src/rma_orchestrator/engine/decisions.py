"""Stricter DMN execution than SpiffWorkflow's defaults.

SpiffWorkflow answers a UNIQUE table with its first matching row and never notices a second
one, and it deep-merges decision results into task data, so a list output is appended to a
list already there. Here a UNIQUE table with two matching rows is an error (an incident
naming both rows), and outputs replace what was there, checked against the step's data limits
like the data a script leaves.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask


class CheckedDMNEngine(DMNEngine):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """Evaluates every row of a UNIQUE table and refuses more than one match."""

    def decide(self, task: Any) -> list[Any]:
        table = self.decision_table
        if table.hit_policy != HitPolicy.UNIQUE.value:
            decided: list[Any] = super().decide(task)
            return decided
        matched = [rule for rule in table.rules if self._DMNEngine__check_rule(rule, task)]
        if len(matched) > 1:
            rows = ", ".join(f"{rule.id} (row {rule.row_number})" for rule in matched)
            raise WorkflowTaskException(
                f"decision table {table.id} has hit policy UNIQUE but rules {rows} all match; "
                "make the rows exclusive or use hit policy FIRST",
                task=task,
            )
        return matched


class ReplacingBusinessRuleTask(BusinessRuleTask):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """A business rule task whose outputs replace task data instead of being deep-merged."""

    def _run_hook(self, my_task: Any) -> bool:
        try:
            my_task.data.update(copy.deepcopy(self.dmnEngine.result(my_task)))
            watch = getattr(my_task.workflow.script_engine, "watch", None)
            if watch is not None:  # output cells are analyst code too: their results meet the data limits
                watch.after_code(my_task)
            super(BusinessRuleTaskMixin, self)._run_hook(my_task)
        except SpiffWorkflowException as error:
            error.add_note(f"Business Rule Task '{my_task.task_spec.bpmn_name}'.")
            raise
        except Exception as error:  # noqa: BLE001 - any failure in a cell is the process's error
            wrapped = WorkflowTaskException(str(error), task=my_task, exception=error)
            wrapped.add_note(f"Business Rule Task '{my_task.task_spec.bpmn_name}'.")
            raise wrapped from error
        return True


def harden_decisions(*specs: BpmnProcessSpec) -> None:
    """Switch every business rule task of ``specs`` to the checked engine and replacing outputs."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, BusinessRuleTask) and not isinstance(
                task_spec, ReplacingBusinessRuleTask
            ):
                task_spec.__class__ = ReplacingBusinessRuleTask
                task_spec.dmnEngine = CheckedDMNEngine(task_spec.dmnEngine.decision_table)
