"""Static checks on BPMN and DMN trees, for what SpiffWorkflow accepts but would mishandle at run time.

SpiffWorkflow's parser silently ignores unknown flow nodes and event definitions, parses only what
is reachable from a start event and defers every expression to run time, so each check here
mirrors what the engine will actually do with the element. Every finding is appended to
``Checker.errors`` as ``{file, line, element, message}``; nothing is raised.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .sandbox import compile_check

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
HIT_POLICIES = {"UNIQUE", "FIRST", "COLLECT"}
_ISO_LITERAL = re.compile(r"R\d*/\S*|P(?=[\dT])[\dYMWDTHS.,]*|\d{4}-\d{1,2}-\d{1,2}\S*", re.IGNORECASE)
_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE)
_LINE = re.compile(r"line (\d+)")
_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_RANGE = re.compile(r"\s*([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\]\[\)])\s*", re.DOTALL)
_FEEL_CONSTANT = re.compile(r"(?<![\w.])(true|false|null)(?!\w)")
_FEEL_FUNCTION = re.compile(r"(?<![\w.])(date\s+and\s+time|date|duration)\s*\(")
_FEEL_NOT = re.compile(r"\s*not\s*\((.*)\)\s*", re.DOTALL)
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # DMNEngine.evaluate's own pattern


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
        for prop in extension(node, f"properties/{{{SPIFF_NS}}}property")
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
        for prop in extension(node, f"properties/{{{SPIFF_NS}}}property"):
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
        for kind in ("timeDate", "timeDuration", "timeCycle"):
            exprs = _bpmn(node, kind)
            if exprs:
                self._check_timer_expression(exprs[0], kind)
                return
        self.add(node, "Timer has no timeDate, timeDuration or timeCycle expression.")

    def _check_timer_expression(self, node: Any, kind: str) -> None:
        text = (node.text or "").strip()
        if not text:
            self.add(node, f'Timer {kind} is empty; give a quoted ISO 8601 value such as "PT24H".')
            return
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            if _ISO_LITERAL.fullmatch(text):
                self.add(
                    node,
                    f"Timer {kind} {text} is not quoted: timer expressions are evaluated as "
                    f'Python, so write it as a string: "{text}".',
                )
            else:
                self.compile(node, node.text, "eval", f"Timer {kind} expression")
            return
        if not isinstance(value, str):
            self.add(node, f'Timer {kind} {text} must be an ISO 8601 string such as "PT24H".')
            return
        message = timer_problem(kind, value)
        if message:
            self.add(node, message)

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


def timer_problem(kind: str, value: str) -> str | None:
    """Why the literal ISO 8601 ``value`` of a timer ``kind`` would fail or misfire, or None."""
    example = {
        "timeDate": '"2030-01-31T09:00:00+01:00"',
        "timeDuration": '"PT24H"',
        "timeCycle": '"R3/PT1H"',
    }[kind]
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
            return None
        if kind == "timeDate":
            if value.upper().startswith("P"):
                return f'Timer timeDate "{value}" is a duration; use timeDuration or give a date-time.'
            TimerEventDefinition.parse_time_or_duration(value)
            moments = [value]
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
            parts = value.upper().replace("--", "/").strip("R").split("/")[1:]
            moments = [part for part in parts if not part.startswith("P")]
    except Exception:  # noqa: BLE001 - the helpers raise bare Exception/ValueError/AttributeError
        return f'Timer {kind} "{value}" is not valid ISO 8601; for example {example}.'
    for moment in moments:
        clock = moment.upper().split("T", 1)[1] if "T" in moment.upper() else ""
        if not _OFFSET.search(clock):
            return (
                f'Timer {kind} "{value}" has no UTC offset; SpiffWorkflow would read it with the '
                "server's current fixed offset and get daylight-saving changes wrong. Add Z or an offset "
                "such as +01:00."
            )
    return None


def check_dmn(checker: Checker, root: Any) -> None:
    """Check the one decision table of a DMN document: hit policy, shape and every expression cell."""
    ns = etree.QName(root).namespace

    def find(node: Any, path: str) -> list[Any]:
        return node.findall("/".join(f"{{{ns}}}{part}" for part in path.split("/")))

    decisions = find(root, "decision")
    if len(decisions) != 1:
        checker.add(
            root,
            f"The DMN file holds {len(decisions)} decisions; the engine reads exactly one "
            "decision per file, so put each decision in its own file.",
        )
        return
    tables = find(decisions[0], "decisionTable")
    if not tables:
        checker.add(decisions[0], "The decision has no decision table; only decision tables are supported.")
        return
    table = tables[0]
    policy = table.get("hitPolicy", "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        checker.add(table, f"Hit policy {policy} is not supported; use UNIQUE, FIRST or COLLECT.")
    elif policy == "COLLECT" and table.get("aggregation"):
        checker.add(
            table,
            f"COLLECT with aggregation {table.get('aggregation')} is not supported (the "
            "engine ignores it and returns lists); remove the aggregation and compute it in a "
            "script.",
        )
    inputs: list[str | None] = []
    for item in find(table, "input"):
        texts = find(item, "inputExpression/text")
        text = texts[0].text if texts else None
        hint = feel_hint(text, cell=False) if text and text.strip() else None
        if not text or not text.strip():
            checker.add(item, "Input has no input expression; give the Python expression to test.")
        elif hint:
            checker.add(texts[0], f"Input expression `{text}` {hint}", item.get("id"))
        elif checker.compile(texts[0], text, "eval", f"Input expression `{text}`", item.get("id")):
            inputs.append(text)
            continue
        inputs.append(None)  # its cells cannot be checked against a broken input expression
    outputs = find(table, "output")
    for item in outputs:
        if not item.get("name") and not item.get("label"):
            checker.add(item, "Output has no name; the name is the variable the result is stored in.")
    for rule in find(table, "rule"):
        _check_rule(checker, rule, ns, inputs, len(outputs))


def _check_rule(checker: Checker, rule: Any, ns: str, inputs: list[str | None], outputs: int) -> None:
    rule_id = rule.get("id")
    entries = [c for c in rule if local(c) == "inputEntry"]
    results = [c for c in rule if local(c) == "outputEntry"]
    if len(entries) != len(inputs) or len(results) != outputs:
        checker.add(
            rule,
            f"Rule has {len(entries)} input and {len(results)} output cells but the table has "
            f"{len(inputs)} inputs and {outputs} outputs.",
            rule_id,
        )
        return
    for column, (entry, input_text) in enumerate(zip(entries, inputs, strict=True), start=1):
        node = entry.find(f"{{{ns}}}text")
        text = node.text if node is not None else None
        if text is None or text == "-" or not input_text:
            continue
        where = f"Input cell {column} `{text}`"
        if not text.strip():
            checker.add(node, f"{where} is blank; leave it empty or write - to match anything.", rule_id)
            continue
        hint = feel_hint(text, cell=True)
        if hint:
            checker.add(node, f"{where} {hint}", rule_id)
            continue
        expression, problem = dmn_input_expression(input_text, text)
        if problem:
            checker.add(node, f"{where} {problem}", rule_id)
        else:
            checker.compile(node, expression, "eval", f"{where} (evaluated as `{expression}`)", rule_id)
    for column, entry in enumerate(results, start=1):
        node = entry.find(f"{{{ns}}}text")
        text = node.text if node is not None else None
        if not text:
            continue
        hint = feel_hint(text, cell=False)
        if hint:
            checker.add(node, f"Output cell {column} `{text}` {hint}", rule_id)
        else:
            checker.compile(node, text, "eval", f"Output cell {column} `{text}`", rule_id)


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside quotes and brackets."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    return [*parts, text[start:].strip()]


def feel_hint(text: str, cell: bool) -> str | None:
    """How FEEL syntax in a DMN ``text`` should be written in Python, or None when it is not FEEL.

    Trap: several FEEL forms are valid Python with another meaning (``"a","b"`` is a tuple, ``not("a")``
    is a boolean), so they compile and then silently never match; they must be recognised by shape.
    """
    bare = _STRING.sub('""', text)
    if cell:
        found = _RANGE.fullmatch(text)
        if found:
            low = ">=" if found[1] == "[" else ">"
            high = "<=" if found[4] == "]" else "<"
            return (
                f"is a FEEL range, not Python; write `? {low} {found[2]} and ? {high} {found[3]}` "
                "(? stands for the input value)."
            )
        found = _FEEL_NOT.fullmatch(text) if _FEEL_NOT.fullmatch(bare) else None
        if found:
            parts = [part for part in _split_top_level(found[1]) if part]
            python = f"? not in ({', '.join(parts)})" if len(parts) > 1 else f"? != {found[1].strip()}"
            return f"is a FEEL negation, which Python reads as a boolean `not`; write `{python}`."
        parts = _split_top_level(text)
        if len(parts) > 1:
            items = ", ".join(part for part in parts if part)
            return (
                f"is a FEEL list, which Python reads as one tuple value that never matches; write "
                f"`? in ({items})`."
            )
    found = _FEEL_CONSTANT.search(bare)
    if found:
        python = {"true": "True", "false": "False", "null": "None"}[found[1]]
        return f"uses FEEL `{found[1]}`; Python spells it `{python}`."
    found = _FEEL_FUNCTION.search(bare)
    if found:
        return (
            f"calls the FEEL function `{found[1]}(...)`, which does not exist in Python; compare ISO "
            'strings such as `? >= "2024-01-01"` or compute the value in a script task.'
        )
    return None


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def dmn_input_expression(input_text: str, cell: str) -> tuple[str, str | None]:
    """The Python that DMNEngine.evaluate builds for an input ``cell``, or a reason it cannot work.

    Mirrors the engine: ``?`` becomes the input value; a cell that parses alone is compared with ``==``;
    otherwise it is appended to the input expression WITHOUT a space, so ``status`` + ``in ("a",)``
    becomes the call ``statusin ("a",)``.
    """
    replaced = _QUESTION_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in replaced:
        return replaced, None
    if _parses(cell):
        return f"({input_text}) == ({cell})", None
    if not _parses(f"v {cell}"):
        return cell, (
            'is not valid Python: give a value (`"a"`, `5`) or a comparison (`< 5`, '
            "`? in (1, 2)`, `? > 1 and ? < 5`)."
        )
    expression = input_text + cell
    if re.search(r"\w$", input_text) and re.match(r"\w", cell):
        return expression, (
            f"would be glued to the input expression without a space (the engine evaluates "
            f"`{expression}`); write `? {cell}` instead."
        )
    return expression, None
