"""Static checks on the flow of a process or subprocess: every path starts, continues and ends.

A path that stops at an element without an outgoing flow makes SpiffWorkflow report the process
complete without reaching an end event, so dead ends, unreachable elements and misplaced
conditions are refused at deploy. Findings go to the ``Checker``; nothing is raised.
"""

from __future__ import annotations

from .bpmn_xml import FLOW_NODES, SUPPORTED_NODES, Element, bpmn_children, local
from .checker import Checker

SPLITTING_NODES = {
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "startEvent",
}
CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}


def check_flow(checker: Checker, scope: Element, top: bool) -> None:
    """Flow structure of a process or embedded subprocess: every path starts, continues and ends."""
    nodes = {key: c for c in scope if local(c) in FLOW_NODES and (key := c.get("id"))}
    outgoing: dict[str, list[Element]] = {key: [] for key in nodes}
    incoming: dict[str, list[Element]] = {key: [] for key in nodes}
    for flow in (c for c in scope if local(c) == "sequenceFlow"):
        for attr, index in (("sourceRef", outgoing), ("targetRef", incoming)):
            ref = flow.get(attr)
            if ref is not None and ref in index:
                index[ref].append(flow)
            else:
                checker.add(
                    flow,
                    f"Sequence flow {attr} '{ref}' is not an element of the same process or "
                    "subprocess; reconnect the flow.",
                    rule="dead-end-flow",
                )
    kind = "Process" if top else "Subprocess"
    starts = [key for key, node in nodes.items() if local(node) == "startEvent"]
    if not starts:
        checker.add(scope, f"{kind} has no start event; add one.")
        return
    if not top and len(starts) != 1:
        checker.add(scope, f"Subprocess has {len(starts)} start events; the engine needs exactly one.")
    if not top and not any(local(node) == "endEvent" for node in nodes.values()):
        checker.add(scope, "Subprocess has no end event; add one.")
    for key, node in nodes.items():
        _check_outgoing(checker, node, outgoing[key])
    _check_reachable(checker, nodes, starts, outgoing, incoming)
    for node in nodes.values():
        if local(node) in ("subProcess", "transaction"):
            check_flow(checker, node, top=False)


def _check_outgoing(checker: Checker, node: Element, flows: list[Element]) -> None:
    name = local(node)
    if name == "endEvent" or node.get("triggeredByEvent") == "true" or name not in SUPPORTED_NODES:
        return
    if not flows:
        checker.add(
            node,
            f"{name} has no outgoing sequence flow: the path would stop here and the process "
            "be reported complete without reaching an end event; connect it onwards or to an "
            "end event.",
            rule="dead-end-flow",
        )
        return
    if len(flows) > 1 and name not in SPLITTING_NODES:
        checker.add(
            node,
            f"{name} has {len(flows)} outgoing sequence flows; only gateways may split the "
            "flow: add a parallel gateway (all paths) or an exclusive gateway (one path).",
        )
    default = node.get("default")
    if default and default not in {flow.get("id") for flow in flows}:
        checker.add(
            node,
            f"Default flow '{default}' is not an outgoing sequence flow of this element.",
            rule="gateway-default",
        )
    for flow in flows:
        has_condition = any((c.text or "").strip() for c in bpmn_children(flow, "conditionExpression"))
        if has_condition and name not in CONDITIONAL_GATEWAYS:
            checker.add(
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
            checker.add(
                flow,
                "Sequence flow leaves a gateway without a condition and is not its default "
                "flow; add a condition or make it the gateway's default flow.",
                rule="gateway-default",
            )


def _check_reachable(
    checker: Checker,
    nodes: dict[str, Element],
    starts: list[str],
    outgoing: dict[str, list[Element]],
    incoming: dict[str, list[Element]],
) -> None:
    boundary: dict[str | None, list[str]] = {}
    for key, node in nodes.items():
        if local(node) == "boundaryEvent":
            host = node.get("attachedToRef")
            boundary.setdefault(host, []).append(key)
            if host not in nodes:
                checker.add(
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
            checker.add(
                node,
                f"{local(node)} has no incoming sequence flow, so it can never run; connect it or remove it.",
                rule="unreachable",
            )
        else:
            checker.add(node, f"{local(node)} cannot be reached from any start event.", rule="unreachable")
