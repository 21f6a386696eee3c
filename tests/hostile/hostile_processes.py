"""Small BPMN and DMN files that carry one piece of hostile analyst code each, where it would run.

Every builder returns ``{file name: bytes}`` ready to deploy. The places: a script task (right
after the start, or after a user task staff complete), a gateway condition, a timer expression,
a DMN cell, and a multi-instance collection.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="definitions_{pid}" targetNamespace="http://example.org/hostile">\n'
    '<bpmn:process id="{pid}" isExecutable="true">\n'
)
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"
GROUP = "customer_service"  # the lane of the user task: the support AGENT works it


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def _process(pid: str, body: str) -> dict[str, bytes]:
    return {f"{pid}.bpmn": (_HEAD.format(pid=pid) + body + _TAIL).encode()}


def _script(element: str, script: str, incoming: str, outgoing: str) -> str:
    return (
        f'<bpmn:scriptTask id="{element}"><bpmn:incoming>{incoming}</bpmn:incoming>'
        f"<bpmn:outgoing>{outgoing}</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script>"
        "</bpmn:scriptTask>\n"
    )


def _wait(kind: str, expression: str) -> str:
    """The intermediate timer ``wait`` between flows f1 and f2."""
    return (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition>"
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:{kind}>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n"
    )


def script_at_start(pid: str, script: str) -> dict[str, bytes]:
    """start -> script ``work`` -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + _script("work", script, "f1", "f2")
        + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "work")
        + _flow("f2", "work", "end")
    )
    return _process(pid, body)


def script_after_review(pid: str, script: str) -> dict[str, bytes]:
    """start -> user task ``review`` (lane customer_service) -> script ``work`` -> end."""
    body = (
        f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_{GROUP}" name="{GROUP}">'
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n"
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:userTask id="review"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>\n"
        + _script("work", script, "f2", "f3")
        + '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "review")
        + _flow("f2", "review", "work")
        + _flow("f3", "work", "end")
    )
    return _process(pid, body)


def condition(pid: str, expression: str) -> dict[str, bytes]:
    """start -> gateway ``choose`` whose one condition is ``expression`` (else the default) -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:exclusiveGateway id="choose" default="f3"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '<bpmn:endEvent id="end_yes"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:endEvent id="end_no"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "choose")
        + _flow("f2", "choose", "end_yes", expression)
        + _flow("f3", "choose", "end_no")
    )
    return _process(pid, body)


def timer(pid: str, expression: str, kind: str = "timeDuration") -> dict[str, bytes]:
    """start -> intermediate timer ``wait`` whose ``kind`` expression is ``expression`` -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + _wait(kind, expression)
        + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "wait")
        + _flow("f2", "wait", "end")
    )
    return _process(pid, body)


def timer_then_script(pid: str, script: str) -> dict[str, bytes]:
    """start -> timer ``wait`` (PT1H) -> script ``work`` -> end: the scheduler runs the script."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        + _wait("timeDuration", '"PT1H"')
        + _script("work", script, "f2", "f3")
        + '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "wait")
        + _flow("f2", "wait", "work")
        + _flow("f3", "work", "end")
    )
    return _process(pid, body)


def decision(
    pid: str, input_expression: str, input_entry: str = "-", output_entry: str = '"ok"'
) -> dict[str, bytes]:
    """start -> business rule task ``decide`` calling a one-rule DMN table -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
        f"<spiffworkflow:calledDecisionId>{pid}_table</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
        "</bpmn:businessRuleTask>\n"
        '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "decide")
        + _flow("f2", "decide", "end")
    )
    dmn = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
        f'id="definitions_{pid}_table" name="t" namespace="http://example.org/hostile">\n'
        f'<decision id="{pid}_table" name="t"><decisionTable id="table" hitPolicy="FIRST">\n'
        '<input id="in1" label="In"><inputExpression id="in1_expr">'
        f"<text>{escape(input_expression)}</text></inputExpression></input>\n"
        '<output id="out1" label="Out" name="verdict" typeRef="string"/>\n'
        f'<rule id="r1"><inputEntry id="r1_in"><text>{escape(input_entry)}</text></inputEntry>'
        f'<outputEntry id="r1_out"><text>{escape(output_entry)}</text></outputEntry></rule>\n'
        "</decisionTable></decision></definitions>\n"
    )
    return {**_process(pid, body), f"{pid}_table.dmn": dmn.encode()}


def multi_instance(pid: str, collection: str) -> dict[str, bytes]:
    """start -> parallel multi-instance script ``each`` over the data item ``collection`` -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:scriptTask id="each"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
        "<bpmn:multiInstanceLoopCharacteristics>"
        f"<bpmn:loopDataInputRef>{escape(collection)}</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="item" name="item"/>'
        "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>seen = item</bpmn:script></bpmn:scriptTask>\n"
        '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "each")
        + _flow("f2", "each", "end")
    )
    return _process(pid, body)


def endless_loop(pid: str) -> dict[str, bytes]:
    """start -> ``join`` -> script ``count`` -> gateway ``again`` (back to join while i < n) -> end."""
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:exclusiveGateway id="join"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        + _script("count", "i = i + 1", "f2", "f3")
        + '<bpmn:exclusiveGateway id="again" default="f5"><bpmn:incoming>f3</bpmn:incoming>'
        "<bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '<bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "join")
        + _flow("f2", "join", "count")
        + _flow("f3", "count", "again")
        + _flow("f4", "again", "join", "i < n")
        + _flow("f5", "again", "end")
    )
    return _process(pid, body)
