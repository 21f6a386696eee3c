"""Static checks on BPMN and DMN trees, for what SpiffWorkflow accepts but would mishandle at run time.

SpiffWorkflow's parser silently ignores unknown flow nodes and event definitions, parses only what
is reachable from a start event and defers every expression to run time, so each check here
mirrors what the engine will actually do with the element. Every finding is appended to
``Checker.errors`` as ``{file, line, element, message}``; nothing is raised. The BPMN structure
checks live here, the decision-table checks in ``dmn_checks`` and the timer-value checks in
``timer_checks``; ``check_dmn`` is re-exported so callers need only this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .dmn_checks import check_dmn as check_dmn  # re-exported: definitions imports it from here
from .sandbox_compiler import compile_check
from .timer_checks import check_timer_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_PROPERTY = "formJsonSchemaFilename"

FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "adHocSubProcess",
        "transaction",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
        "callChoreography",
        "choreographyTask",
        "subChoreography",
    }
)
SUPPORTED_NODES = frozenset(
    etree.QName(tag).localname
    for tag in {**SpiffBpmnParser.PARSER_CLASSES, **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES}
)
# The event definitions each event parser looks for (bpmn/parser/event_parsers.py); others are dropped.
EVENT_DEFINITIONS = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional"},
    "intermediateThrowEvent": {"escalation", "message", "signal", "timer"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
}
SPLITTING_NODES = {
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "startEvent",
}
CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}
_PROPERTY = f"properties/{{{SPIFF_NS}}}property"
_LINE = re.compile(r"line (\d+)")


def local(node: Any) -> str:
    """Local tag name of an element, '' for comments and processing instructions."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _bpmn(node: Any, name: str) -> list[Any]:
    return node.findall(f"{{{BPMN_NS}}}{name}")


def _owner_id(node: Any) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def extension(node: Any, name: str) -> list[Any]:
    """The ``spiffworkflow:<name>`` children of a node's extensionElements."""
    return node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}")


def properties(node: Any) -> dict[str, str]:
    """The spiffworkflow:property name/value pairs of a node, as the spiff parser reads them."""
    return {
        prop.get("name"): prop.get("value")
        for prop in extension(node, _PROPERTY)
        if prop.get("name") is not None and prop.get("value") is not None
    }


@dataclass
class Checker:
    """Collects findings for one file; ``processes`` maps every known process id to its executability."""

    file: str
    processes: dict[str, bool]
    decisions: set[str]
    forms: set[str]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, node: Any, message: str, element: str | None = None, line: int | None = None) -> None:
        if element is None and node is not None:
            element = _owner_id(node)
        if line is None and node is not None:
            line = node.sourceline
        self.errors.append({"file": self.file, "line": line, "element": element, "message": message})

    def compile(self, node: Any, source: str, mode: str, what: str, element: str | None = None) -> bool:
        """compile_check ``source``; the error line is shifted to the file when the text sits in ``node``."""
        problem = compile_check(source, mode)
        if problem is None:
            return True
        line = node.sourceline
        found = _LINE.search(problem)
        if found and line is not None and node.text == source:
            line += int(found.group(1)) - 1
        self.add(node, f"{what} is not valid sandboxed Python: {problem}", element, line)
        return False

    # ---- BPMN ----------------------------------------------------------------------------------

    def check_bpmn(self, root: Any) -> None:
        """Check every executable process of a BPMN document."""
        for process in _bpmn(root, "process"):
            if process.get("isExecutable", "true") != "true":
                continue
            self._check_scope(process, top=True)
            for node in process.iter():
                self._check_node(node)

    def _check_node(self, node: Any) -> None:
        name = local(node)
        if not name or etree.QName(node).namespace != BPMN_NS:
            return
        if name in FLOW_NODES and name not in SUPPORTED_NODES:
            self.add(
                node,
                f"'{name}' elements are not supported by the engine (SpiffWorkflow would silently "
                "ignore it); model it with supported tasks, events and gateways.",
            )
        if name.endswith("EventDefinition"):
            self._check_event_definition(node, name[: -len("EventDefinition")])
        if name == "boundaryEvent" and not any(local(c).endswith("EventDefinition") for c in node):
            self.add(
                node,
                "Boundary event has no event definition; add a timer, message, error, signal, "
                "escalation or conditional definition.",
            )
        if name == "scriptTask":
            self._check_script(node)
        elif name == "businessRuleTask":
            self._check_decision_ref(node)
        elif name == "callActivity":
            self._check_call(node)
        elif name == "sequenceFlow":
            for cond in _bpmn(node, "conditionExpression"):
                if cond.text and cond.text.strip():
                    self.compile(cond, cond.text, "eval", "Condition of sequence flow")
        elif (
            name in ("loopCondition", "loopCardinality", "completionCondition", "condition")
            and node.text
            and node.text.strip()
        ):
            self.compile(node, node.text, "eval", f"The {name}")
        if name in ("userTask", "startEvent"):
            form = properties(node).get(FORM_PROPERTY)
            if form is not None and form not in self.forms:
                self.add(
                    node,
                    f"Form file '{form}' is not among the deployed files; upload it with this "
                    "diagram or fix the formJsonSchemaFilename property.",
                )
        for prop in extension(node, _PROPERTY):
            if prop.get("name") is None or prop.get("value") is None:
                self.add(prop, "spiffworkflow:property needs both a name and a value attribute.")
        for kind in ("preScript", "postScript"):
            for script in extension(node, kind):
                if script.text and script.text.strip():
                    self.compile(script, script.text, "exec", f"The {kind} of '{_owner_id(node)}'")

    def _check_event_definition(self, node: Any, kind: str) -> None:
        event = node.getparent()
        allowed = EVENT_DEFINITIONS.get(local(event))
        if allowed is not None and kind not in allowed:
            self.add(
                event,
                f"{kind.capitalize()} event definitions are not supported on a {local(event)} "
                f"(the engine would ignore it and treat the event as a plain {local(event)}); "
                f"supported there: {', '.join(sorted(allowed))}.",
            )
        if kind == "timer":
            self._check_timer(node)

    def _check_script(self, node: Any) -> None:
        scripts = [child for child in node if local(child) == "script"]
        if not scripts or not (scripts[-1].text or "").strip():
            self.add(
                scripts[-1] if scripts else node,
                "Script task has no script; write the Python code in its bpmn:script element.",
            )
        else:
            self.compile(scripts[-1], scripts[-1].text, "exec", "Script")

    def _check_decision_ref(self, node: Any) -> None:
        refs = extension(node, "calledDecisionId")
        ref = refs[0].text if refs else None
        if not ref:
            self.add(
                node,
                "Business rule task names no decision; set spiffworkflow:calledDecisionId to the "
                "id of a DMN decision.",
            )
        elif ref not in self.decisions:
            hint = f" (remove the spaces around '{ref.strip()}')" if ref.strip() in self.decisions else ""
            known = ", ".join(sorted(self.decisions)) or "none"
            self.add(
                node,
                f"Decision '{ref}' is not defined in any uploaded DMN file{hint}; known decisions: {known}.",
            )

    def _check_call(self, node: Any) -> None:
        called = node.get("calledElement")
        if not called:
            self.add(node, "Call activity has no calledElement; set it to the id of the process to call.")
        elif called not in self.processes:
            self.add(
                node,
                f"Call activity calls process '{called}', which is not defined in any uploaded "
                "or deployed file; upload that process or fix calledElement.",
            )
        elif not self.processes[called]:
            self.add(
                node,
                f"Call activity calls process '{called}', which is not executable; set "
                'isExecutable="true" on it.',
            )

    def _check_timer(self, node: Any) -> None:
        """Check the expression the engine will use: the first of timeDate, timeDuration, timeCycle."""
        for kind in ("timeDate", "timeDuration", "timeCycle"):
            exprs = _bpmn(node, kind)
            if exprs:
                check_timer_expression(self, exprs[0], kind)
                return
        self.add(node, "Timer has no timeDate, timeDuration or timeCycle expression.")

    def _check_scope(self, scope: Any, top: bool) -> None:
        """Flow structure of a process or embedded subprocess: every path starts, continues and ends."""
        nodes = {c.get("id"): c for c in scope if local(c) in FLOW_NODES and c.get("id")}
        outgoing: dict[str, list[Any]] = {key: [] for key in nodes}
        incoming: dict[str, list[Any]] = {key: [] for key in nodes}
        for flow in (c for c in scope if local(c) == "sequenceFlow"):
            for attr, index in (("sourceRef", outgoing), ("targetRef", incoming)):
                ref = flow.get(attr)
                if ref in index:
                    index[ref].append(flow)
                else:
                    self.add(
                        flow,
                        f"Sequence flow {attr} '{ref}' is not an element of the same process or "
                        "subprocess; reconnect the flow.",
                    )
        kind = "Process" if top else "Subprocess"
        starts = [key for key, node in nodes.items() if local(node) == "startEvent"]
        if not starts:
            self.add(scope, f"{kind} has no start event; add one.")
            return
        if not top and len(starts) != 1:
            self.add(scope, f"Subprocess has {len(starts)} start events; the engine needs exactly one.")
        if not top and not any(local(node) == "endEvent" for node in nodes.values()):
            self.add(scope, "Subprocess has no end event; add one.")
        for key, node in nodes.items():
            self._check_outgoing(node, outgoing[key])
        self._check_reachable(nodes, starts, outgoing, incoming)
        for node in nodes.values():
            if local(node) in ("subProcess", "transaction"):
                self._check_scope(node, top=False)

    def _check_outgoing(self, node: Any, flows: list[Any]) -> None:
        name = local(node)
        if name == "endEvent" or node.get("triggeredByEvent") == "true" or name not in SUPPORTED_NODES:
            return
        if not flows:
            self.add(
                node,
                f"{name} has no outgoing sequence flow: the path would stop here and the process "
                "be reported complete without reaching an end event; connect it onwards or to an "
                "end event.",
            )
            return
        if len(flows) > 1 and name not in SPLITTING_NODES:
            self.add(
                node,
                f"{name} has {len(flows)} outgoing sequence flows; only gateways may split the "
                "flow: add a parallel gateway (all paths) or an exclusive gateway (one path).",
            )
        default = node.get("default")
        if default and default not in {flow.get("id") for flow in flows}:
            self.add(node, f"Default flow '{default}' is not an outgoing sequence flow of this element.")
        for flow in flows:
            has_condition = any((c.text or "").strip() for c in _bpmn(flow, "conditionExpression"))
            if has_condition and name not in CONDITIONAL_GATEWAYS:
                self.add(
                    flow,
                    f"Sequence flow has a condition but leaves a {name}, where the engine ignores "
                    "conditions; put an exclusive or inclusive gateway before the branches.",
                )
            elif (
                name in CONDITIONAL_GATEWAYS
                and len(flows) > 1
                and not has_condition
                and flow.get("id") != default
            ):
                self.add(
                    flow,
                    "Sequence flow leaves a gateway without a condition and is not its default "
                    "flow; add a condition or make it the gateway's default flow.",
                )

    def _check_reachable(
        self,
        nodes: dict[str, Any],
        starts: list[str],
        outgoing: dict[str, list[Any]],
        incoming: dict[str, list[Any]],
    ) -> None:
        boundary: dict[str, list[str]] = {}
        for key, node in nodes.items():
            if local(node) == "boundaryEvent":
                host = node.get("attachedToRef")
                boundary.setdefault(host, []).append(key)
                if host not in nodes:
                    self.add(
                        node,
                        f"Boundary event is attached to '{host}', which is not an activity of the "
                        "same process or subprocess.",
                    )
        reached, todo = set(starts), list(starts)
        while todo:
            key = todo.pop()
            nexts = [flow.get("targetRef") for flow in outgoing[key]] + boundary.get(key, [])
            for target in nexts:
                if target in nodes and target not in reached:
                    reached.add(target)
                    todo.append(target)
        for key, node in nodes.items():
            if key in reached or node.get("triggeredByEvent") == "true":
                continue
            if local(node) == "boundaryEvent":
                continue  # its host is reported
            if not incoming[key]:
                self.add(
                    node,
                    f"{local(node)} has no incoming sequence flow, so it can never run; connect "
                    "it or remove it.",
                )
            else:
                self.add(node, f"{local(node)} cannot be reached from any start event.")
