"""Static checks on the elements of a BPMN process, for what SpiffWorkflow accepts but would mishandle.

SpiffWorkflow's parser silently ignores unknown flow nodes and event definitions, parses only what
is reachable from a start event and defers every expression to run time, so each check here
mirrors what the engine will actually do with the element. The flow structure is checked in
``flow_checks``, timer values in ``timer_checks``; findings go to the ``Checker``, nothing is raised.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .bpmn_xml import (
    BPMN_NS,
    FLOW_NODES,
    FORM_PROPERTY,
    PROPERTY,
    SUPPORTED_NODES,
    Element,
    bpmn_children,
    extension,
    local,
    owner_id,
    properties,
)
from .checker import Checker, TextLimits
from .flow_checks import check_flow
from .lanes import lane_group
from .timer_checks import check_timer_expression

# The event definitions each event parser looks for (bpmn/parser/event_parsers.py); others are dropped.
EVENT_DEFINITIONS = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional"},
    "intermediateThrowEvent": {"escalation", "message", "signal", "timer"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
}


def check_bpmn(checker: Checker, root: Element) -> None:
    """Check every executable process of a BPMN document."""
    if checker.limits is not None:
        for message in bpmn_children(root, "message"):
            name = message.get("name") or message.get("id")
            checker.check_length(message, "message name", name, checker.limits.message)
    for process in bpmn_children(root, "process"):
        if process.get("isExecutable", "true") != "true":
            continue
        check_flow(checker, process, top=True)
        for node in process.iter():
            _check_node(checker, node)
            if checker.limits is not None:
                _check_lengths(checker, checker.limits, node)


def _check_lengths(checker: Checker, limits: TextLimits, node: Element) -> None:
    """The texts a case records when it reaches this element: its id, a task's name, a lane (group)."""
    name = local(node)
    if not name or etree.QName(node).namespace != BPMN_NS:
        return
    checker.check_length(node, "element id", node.get("id"), limits.element_id)
    if name in ("userTask", "manualTask"):
        checker.check_length(node, "task name", node.get("name"), limits.task_name)
    elif name == "lane":
        checker.check_length(node, "group of the lane (its id without lane_)", lane_group(node), limits.lane)
    found = properties(node)
    checker.check_length(node, "form file name", found.get(FORM_PROPERTY), limits.form)
    checker.check_length(node, "SLA name", found.get("sla"), limits.sla)


def _check_node(checker: Checker, node: Element) -> None:
    name = local(node)
    if not name or etree.QName(node).namespace != BPMN_NS:
        return
    if name in FLOW_NODES and name not in SUPPORTED_NODES:
        checker.add(
            node,
            f"'{name}' elements are not supported by the engine (SpiffWorkflow would silently "
            "ignore it); model it with supported tasks, events and gateways.",
        )
    elif name in _UNRUNNABLE:
        _UNRUNNABLE[name](checker, node)
    if name.endswith("EventDefinition"):
        _check_event_definition(checker, node, name[: -len("EventDefinition")])
    if name == "boundaryEvent" and not any(local(c).endswith("EventDefinition") for c in node):
        checker.add(
            node,
            "Boundary event has no event definition; add a timer, message, error, signal, "
            "escalation or conditional definition.",
        )
    if name == "scriptTask":
        _check_script(checker, node)
    elif name == "businessRuleTask":
        _check_decision_ref(checker, node)
    elif name == "callActivity":
        _check_call(checker, node)
    elif name == "sequenceFlow":
        for cond in bpmn_children(node, "conditionExpression"):
            if cond.text and cond.text.strip():
                checker.compile(cond, cond.text, "eval", "Condition of sequence flow")
    elif (
        name in ("loopCondition", "loopCardinality", "completionCondition", "condition")
        and node.text
        and node.text.strip()
    ):
        checker.compile(node, node.text, "eval", f"The {name}")
    if name in ("userTask", "startEvent"):
        form = properties(node).get(FORM_PROPERTY)
        if form is not None and form not in checker.forms:
            checker.add(
                node,
                f"Form file '{form}' is not among the deployed files; upload it with this "
                "diagram or fix the formJsonSchemaFilename property.",
                rule="user-task-form",
            )
    for prop in extension(node, PROPERTY):
        if prop.get("name") is None or prop.get("value") is None:
            checker.add(prop, "spiffworkflow:property needs both a name and a value attribute.")
    for kind in ("preScript", "postScript"):
        for script in extension(node, kind):
            if script.text and script.text.strip():
                checker.compile(script, script.text, "exec", f"The {kind} of '{owner_id(node)}'")


def _check_event_definition(checker: Checker, node: Element, kind: str) -> None:
    event = node.getparent()
    allowed = EVENT_DEFINITIONS.get(local(event)) if event is not None else None
    if event is not None and allowed is not None and kind not in allowed:
        checker.add(
            event,
            f"{kind.capitalize()} event definitions are not supported on a {local(event)} "
            f"(the engine would ignore it and treat the event as a plain {local(event)}); "
            f"supported there: {', '.join(sorted(allowed))}.",
        )
    if kind == "timer":
        _check_timer(checker, node)


def _check_script(checker: Checker, node: Element) -> None:
    scripts = [child for child in node if local(child) == "script"]
    source = scripts[-1].text if scripts else None
    if not scripts or source is None or not source.strip():
        checker.add(
            scripts[-1] if scripts else node,
            "Script task has no script; write the Python code in its bpmn:script element.",
        )
    else:
        checker.compile(scripts[-1], source, "exec", "Script")


def _check_decision_ref(checker: Checker, node: Element) -> None:
    refs = extension(node, "calledDecisionId")
    ref = refs[0].text if refs else None
    if not ref:
        checker.add(
            node,
            "Business rule task names no decision; set spiffworkflow:calledDecisionId to the "
            "id of a DMN decision.",
        )
    elif ref not in checker.decisions:
        hint = f" (remove the spaces around '{ref.strip()}')" if ref.strip() in checker.decisions else ""
        known = ", ".join(sorted(checker.decisions)) or "none"
        checker.add(
            node,
            f"Decision '{ref}' is not defined in any uploaded DMN file{hint}; known decisions: {known}.",
        )


def _check_call(checker: Checker, node: Element) -> None:
    called = node.get("calledElement")
    if not called:
        checker.add(node, "Call activity has no calledElement; set it to the id of the process to call.")
    elif called not in checker.processes:
        checker.add(
            node,
            f"Call activity calls process '{called}', which is not defined in any uploaded "
            "or deployed file; upload that process or fix calledElement.",
        )
    elif not checker.processes[called]:
        checker.add(
            node,
            f"Call activity calls process '{called}', which is not executable; set "
            'isExecutable="true" on it.',
        )


def _check_timer(checker: Checker, node: Element) -> None:
    """Check the expression the engine will use: the first of timeDate, timeDuration, timeCycle."""
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        exprs = bpmn_children(node, kind)
        if exprs:
            check_timer_expression(checker, exprs[0], kind)
            return
    checker.add(node, "Timer has no timeDate, timeDuration or timeCycle expression.", rule="timer-evaluates")


def _check_service_task(checker: Checker, node: Element) -> None:
    """This engine offers no connectors: SpiffWorkflow's call fails with a NameError at run time."""
    operators = extension(node, "serviceTaskOperator")
    connector = operators[0].get("id") if operators else None
    what = f"calls the connector '{connector}'" if connector else "names no connector"
    checker.add(
        node,
        f"Service task {what}, but this engine runs no service connectors; do the work in a script "
        "task, or send a message and wait for the other system's reply with a receive task.",
    )


def _check_script_format(checker: Checker, node: Element) -> None:
    """Every script runs as Python, whatever its scriptFormat says."""
    script_format = node.get("scriptFormat")
    if script_format and "python" not in script_format.lower():
        checker.add(
            node,
            f"Script format '{script_format}' is not supported; the engine runs every script as "
            'Python, so rewrite the script in Python and set scriptFormat="python".',
        )


def _check_message_ref(checker: Checker, node: Element) -> None:
    """Without a messageRef SpiffWorkflow completes the task at once: nothing sent, nothing awaited."""
    if not node.get("messageRef"):
        action = "sends nothing" if local(node) == "sendTask" else "waits for nothing"
        checker.add(
            node,
            f"{local(node)} names no message, so the engine would complete it at once (it "
            f"{action}); set messageRef to a bpmn:message.",
        )


_UNRUNNABLE: dict[str, Callable[[Checker, Element], None]] = {
    "serviceTask": _check_service_task,
    "scriptTask": _check_script_format,
    "sendTask": _check_message_ref,
    "receiveTask": _check_message_ref,
}
