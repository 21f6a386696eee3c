"""Drive the lifecycle fixture diagrams with plain SpiffWorkflow 3.2 and print the paths taken.

Run from the repository root:

    .venv/bin/python tests/data/lifecycle/check_lifecycle.py

This is not a pytest module. It proves that order_review.bpmn, order_fix.bpmn and
review_rules.dmn parse (with XSD validation) and run, and it documents how to drive the
process: setting start data, completing the user task, delivering the payment message,
moving time forward for the boundary timers, and serializing at every wait.
Exits non-zero if any expectation fails.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import SpiffWorkflow.bpmn.specs.event_definitions.timer as timer_module
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition as PlainMessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

HERE = Path(__file__).resolve().parent
PROCESS_ID = "order_review"
T0 = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- clock
class FrozenDatetime(datetime):
    """Stands in for the `datetime` name inside SpiffWorkflow's timer module.

    The timer module calls `datetime.now(timezone.utc)` both when a timer starts waiting
    (to compute its due time, stored as task internal data 'event_value') and whenever
    timers are refreshed (to decide whether it fired). Everything else is inherited.
    """

    current = T0

    @classmethod
    def now(cls, tz=None):
        return cls.current.astimezone(tz) if tz is not None else cls.current.replace(tzinfo=None)


def set_clock(when: datetime) -> None:
    FrozenDatetime.current = when


timer_module.datetime = FrozenDatetime


# --------------------------------------------------------------------------- helpers
def load_specs():
    # VALIDATOR = XSD validation of the BPMN (with the spiffworkflow extension schema);
    # with a validator set, DMN files are validated against the DMN 1.3 XSD too.
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(HERE / "order_review.bpmn"), str(HERE / "order_fix.bpmn")])
    parser.add_dmn_files([str(HERE / "review_rules.dmn")])
    spec = parser.get_spec(PROCESS_ID)
    subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    return spec, subprocess_specs


SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def roundtrip(workflow: BpmnWorkflow, label: str) -> BpmnWorkflow:
    """Serialize to JSON and load it back; continue with the restored copy only."""
    dumped = SERIALIZER.serialize_json(workflow)
    restored = SERIALIZER.deserialize_json(dumped)
    print(f"  [serializer] {label}: {len(dumped)} bytes JSON, restored")
    return restored


def start(spec, subprocess_specs, data: dict, via: str = "start_task") -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subprocess_specs)
    if via == "start_task":
        # A fresh workflow has exactly one READY task: the synthetic root-level
        # 'Start' task (BpmnStartTask). Data put on it is inherited by everything after it.
        (start_task,) = workflow.get_tasks(state=TaskState.READY)
        assert start_task.task_spec.name == "Start", start_task.task_spec.name
        start_task.data.update(data)
    else:
        # Alternative that also works: the BPMN start event task is already in the
        # tree (state FUTURE); data set on it survives (parent data is deep-merged in).
        workflow.get_next_task(spec_name="start_order").data.update(data)
    workflow.do_engine_steps()
    return workflow


def path_of(workflow, skip_subprocesses: bool = False) -> list[str]:
    """BPMN ids of finished tasks in the order they finished; cancelled ones are marked.

    BpmnWorkflow.get_tasks() descends into called processes unless skip_subprocesses=True,
    so by default the order_fix steps appear inline (before fix_order itself completes).
    """
    finished = workflow.get_tasks(state=TaskState.FINISHED_MASK, skip_subprocesses=skip_subprocesses)
    steps = []
    for task in sorted(finished, key=lambda t: t.last_state_change):
        if task.task_spec.bpmn_id is None:
            continue  # Start, BoundaryEventSplit/Join, EndJoin, End: engine-internal specs
        mark = "" if task.state == TaskState.COMPLETED else f"({TaskState.get_name(task.state)})"
        steps.append(task.task_spec.bpmn_id + mark)
    return steps


def ended_at(workflow: BpmnWorkflow) -> list[str]:
    """Completed end events of the top-level process (not of the called process)."""
    return [
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent, skip_subprocesses=True)
    ]


def subprocess_paths(workflow: BpmnWorkflow) -> dict[str, list[str]]:
    # workflow.subprocesses: {call activity task id: BpmnSubWorkflow}; kept after completion
    return {sp.spec.name: path_of(sp) for sp in workflow.subprocesses.values()}


def show_waiting(workflow: BpmnWorkflow) -> None:
    # Not every WAITING task is an event: joins (BoundaryEventJoin, the process _EndJoin)
    # also sit in WAITING while other branches are open. Only catching events have an
    # event_definition.
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        event_definition = getattr(spec, "event_definition", None)
        event = type(event_definition).__name__ if event_definition is not None else "-"
        print(
            f"  WAITING {spec.name:<30} {type(spec).__name__:<24} event={event:<30} "
            f"event_value={task._get_internal_data('event_value')}"
        )
    for pending in workflow.waiting_events():
        print(f"  waiting_events(): {vars(pending)}")


def payment_event(ref: str) -> BpmnEvent:
    # Must be the *spiff* MessageEventDefinition: event definitions compare equal only if
    # their classes are identical and the names match.
    return BpmnEvent(MessageEventDefinition("payment_received"), {"ref": ref})


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def qualname(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


# --------------------------------------------------------------------------- paths
def path_auto(spec, subprocess_specs) -> None:
    print("\n(a) auto: amount 50, electronics")
    set_clock(T0)
    wf = start(spec, subprocess_specs, {"order_no": "A-1", "amount": 50, "category": "electronics"})
    wait = wf.get_next_task(spec_name="wait_payment")
    print(
        f"  after start: wait_payment is {TaskState.get_name(wait.state)}, "
        f"spec class {qualname(wait.task_spec)}, event {qualname(wait.task_spec.event_definition)}"
    )
    check(wait.state == TaskState.WAITING, "wait_payment should be WAITING")
    check(wait.data["route"] == "auto" and wait.data["fee"] == 5.0, f"bad data {wait.data}")
    show_waiting(wf)
    wf = roundtrip(wf, "waiting for payment_received")

    # A message built with the plain bpmn MessageEventDefinition does not match the spiff one.
    try:
        wf.send_event(BpmnEvent(PlainMessageEventDefinition("payment_received"), {"ref": "wrong"}))
        raise AssertionError("plain bpmn MessageEventDefinition unexpectedly matched")
    except WorkflowException as exc:
        print(f"  send_event with bpmn (non-spiff) MessageEventDefinition -> WorkflowException: {exc}")

    wf.catch(payment_event("PAY-A"))

    seen_in_subprocess = {}

    def will_complete(task):
        # Called for subprocess tasks too. Shows that the top workflow's get_tasks()
        # descends into the called process's task tree (unless skip_subprocesses=True).
        if task.task_spec.name == "apply_fix":
            seen_in_subprocess["workflow_class"] = type(task.workflow).__name__
            seen_in_subprocess["top_get_tasks"] = wf.get_tasks(spec_name="apply_fix")
            seen_in_subprocess["top_skip"] = wf.get_tasks(spec_name="apply_fix", skip_subprocesses=True)
            seen_in_subprocess["sub_get_tasks"] = task.workflow.get_tasks(spec_name="apply_fix")

    wf.do_engine_steps(will_complete_task=will_complete)
    print(
        f"  while apply_fix ran: task.workflow is {seen_in_subprocess['workflow_class']}; "
        f"top wf.get_tasks(spec_name='apply_fix') -> {len(seen_in_subprocess['top_get_tasks'])} task, "
        f"with skip_subprocesses=True -> {len(seen_in_subprocess['top_skip'])}; "
        f"subworkflow.get_tasks(...) -> {len(seen_in_subprocess['sub_get_tasks'])} task"
    )
    print(f"  completed={wf.completed}, ended at {ended_at(wf)}")
    print(f"  path: {' -> '.join(path_of(wf))}")
    print(f"  called process: {subprocess_paths(wf)}")
    print(f"  workflow.data: {wf.data}")
    check(wf.completed, "workflow should be completed")
    check(ended_at(wf) == ["end_done"], "should end at end_done")
    check(wf.data.get("payment") == {"ref": "PAY-A"}, "payment missing")
    check(wf.data.get("fixed") is True and wf.data.get("fee") == 5.0, "fixed/fee missing")


def show_boundary_structure(user_task) -> None:
    split = user_task.parent
    print(
        f"  user task {user_task.task_spec.name}: {qualname(user_task.task_spec)}, "
        f"state {TaskState.get_name(user_task.state)}, lane {user_task.task_spec.lane}, "
        f"form {user_task.task_spec.extensions['properties']['formJsonSchemaFilename']}"
    )
    print(f"    parent: {split.task_spec.name} ({type(split.task_spec).__name__})")
    check(isinstance(split.task_spec, BoundaryEventSplit), "parent should be a BoundaryEventSplit")
    for sibling in split.children:
        if sibling is user_task:
            continue
        spec = sibling.task_spec
        check(isinstance(spec, BoundaryEvent), "siblings should be boundary events")
        print(
            f"    sibling: {spec.name} ({qualname(spec)}), state {TaskState.get_name(sibling.state)}, "
            f"cancel_activity={spec.cancel_activity}, event={type(spec.event_definition).__name__}"
            f"(name={spec.event_definition.name!r}, expression={spec.event_definition.expression!r}), "
            f"event_value={sibling._get_internal_data('event_value')}, "
            f"children={[c.task_spec.name for c in sibling.children]}"
        )
    children = [(c.task_spec.name, type(c.task_spec).__name__) for c in user_task.children]
    print(f"    user task children: {children}")
    check(any(isinstance(c.task_spec, BoundaryEventJoin) for c in user_task.children), "join expected")


def user_task_of(wf: BpmnWorkflow):
    (task,) = wf.get_tasks(state=TaskState.READY, manual=True)
    return task


def path_manual_approved(spec, subprocess_specs) -> None:
    print("\n(b) manual approved: amount 500, home_goods")
    set_clock(T0)
    wf = start(spec, subprocess_specs, {"order_no": "B-1", "amount": 500, "category": "home_goods"})
    task = user_task_of(wf)
    check(task.task_spec.name == "review_order", "review_order should be READY")
    show_waiting(wf)
    show_boundary_structure(task)
    wf = roundtrip(wf, "user task review_order READY")

    task = user_task_of(wf)  # task objects are new after a restore; look them up again
    task.data.update({"approved": True, "note": "looks fine"})
    task.run()
    wf.do_engine_steps()
    print(
        f"  after completing review_order: waiting tasks "
        f"{[t.task_spec.name for t in wf.get_tasks(state=TaskState.WAITING)]}, "
        f"split children {[(t.task_spec.name, TaskState.get_name(t.state)) for t in task.parent.children]}"
    )
    check(
        [t.task_spec.name for t in wf.get_tasks(state=TaskState.WAITING)] == ["wait_payment"], "expected wait"
    )
    wf = roundtrip(wf, "waiting for payment_received")

    wf.catch(payment_event("PAY-B"))
    wf.do_engine_steps()
    print(f"  completed={wf.completed}, ended at {ended_at(wf)}")
    print(f"  path: {' -> '.join(path_of(wf))}")
    print(f"  called process: {subprocess_paths(wf)}")
    print(f"  workflow.data: {wf.data}")
    check(wf.completed and ended_at(wf) == ["end_done"], "should end at end_done")
    check(wf.data["payment"] == {"ref": "PAY-B"} and wf.data["fixed"] is True, "payment/fixed missing")
    check(wf.data["approved"] is True and wf.data["fee"] == 50.0, "approved/fee missing")


def path_manual_timeout(spec, subprocess_specs) -> None:
    print("\n(c) manual timeout: amount 500, other")
    set_clock(T0)
    wf = start(spec, subprocess_specs, {"order_no": "C-1", "amount": 500, "category": "other"})
    check(user_task_of(wf).task_spec.name == "review_order", "review_order should be READY")
    show_waiting(wf)
    wf = roundtrip(wf, "user task READY, timers armed")

    set_clock(T0 + timedelta(hours=2, minutes=1))
    wf.refresh_timers()  # refresh_waiting_tasks() is the deprecated alias (DeprecationWarning)
    wf.do_engine_steps()
    reminder_task = wf.get_next_task(spec_name="note_reminder")
    print(
        f"  at T0+2h01: completed={wf.completed}, review_order "
        f"{TaskState.get_name(wf.get_next_task(spec_name='review_order').state)}, "
        f"note_reminder {TaskState.get_name(reminder_task.state)} "
        f"data.reminded={reminder_task.data.get('reminded')}"
    )
    print(f"  path so far: {' -> '.join(path_of(wf))}")
    show_waiting(wf)
    check(not wf.completed, "reminder must not end the process")
    check(reminder_task.state == TaskState.COMPLETED, "note_reminder should have run")
    check(wf.get_next_task(spec_name="review_order").state == TaskState.READY, "user task still READY")
    check(
        wf.get_next_task(spec_name="end_reminder_noted").state == TaskState.COMPLETED, "reminder end reached"
    )
    wf = roundtrip(wf, "after reminder, user task still READY")

    set_clock(T0 + timedelta(hours=24, minutes=1))
    wf.refresh_timers()
    wf.do_engine_steps()
    print(f"  at T0+24h01: completed={wf.completed}, ended at {ended_at(wf)}")
    print(f"  path: {' -> '.join(path_of(wf))}")
    print(f"  workflow.data: {wf.data}")
    check(wf.completed, "workflow should be completed")
    check(ended_at(wf) == ["end_reminder_noted", "end_timed_out"], "both end events expected")
    check(wf.get_next_task(spec_name="review_order").state == TaskState.CANCELLED, "user task cancelled")


def path_manual_rejected(spec, subprocess_specs) -> None:
    print("\n(d) manual rejected: amount 100, electronics (start data set on the start event task)")
    set_clock(T0)
    wf = start(
        spec,
        subprocess_specs,
        {"order_no": "D-1", "amount": 100, "category": "electronics"},
        via="start_event",
    )
    task = user_task_of(wf)
    task.data.update({"approved": False})
    task.run()
    wf.do_engine_steps()
    print(f"  completed={wf.completed}, ended at {ended_at(wf)}")
    print(f"  path: {' -> '.join(path_of(wf))}")
    check(wf.completed and ended_at(wf) == ["end_rejected"], "should end at end_rejected")


def decision_coverage(spec, subprocess_specs) -> None:
    print("\n(e) review_rules coverage: exactly one rule must match every input")
    engine = spec.task_specs["decide_route"].dmnEngine
    table = engine.decision_table
    wf = BpmnWorkflow(spec, subprocess_specs)
    task = wf.get_next_task(spec_name="decide_route")  # only used as evaluation context
    saved_policy = table.hit_policy
    table.hit_policy = "COLLECT"  # UNIQUE stops at the first hit; COLLECT shows every hit
    try:
        for category in ("electronics", "home_goods", "other"):
            row = []
            for amount in (0, 99.99, 100, 100.01, 5000):
                task.data = {"category": category, "amount": amount}
                hits = [rule.row_number for rule in engine.decide(task)]
                check(len(hits) == 1, f"{category}/{amount}: rules {hits} matched")
                route = engine.decide(task)[0].output_as_dict(task)["route"]
                check(route == ("auto" if amount < 100 else "manual"), f"{category}/{amount}: {route}")
                row.append(f"{amount}->{route}(rule {hits[0]})")
            print(f"  {category:<11} " + ", ".join(row))
    finally:
        table.hit_policy = saved_policy


def main() -> int:
    spec, subprocess_specs = load_specs()
    print(f"parsed {spec.name!r}; called processes: {sorted(subprocess_specs)}")
    path_auto(spec, subprocess_specs)
    path_manual_approved(spec, subprocess_specs)
    path_manual_timeout(spec, subprocess_specs)
    path_manual_rejected(spec, subprocess_specs)
    decision_coverage(spec, subprocess_specs)
    print("\nall paths OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
