"""Lint rules on a BPMN document: what the engine runs, but most likely not the way the analyst meant.

They are warnings: validation (the modeler, ``POST /validations``, ``rma validate``) reports them and a
deploy goes ahead, because a working diagram may break one on purpose (a user task that only asks for
a confirmation has no form; a message that only says something happened carries no payload). Each
finding names its rule: ``user-task-form``, ``message-payload``, ``gateway-default`` and
``timer-evaluates`` (see ``timer_samples``). The deploy checks of the same rules, which refuse a
deploy, live in ``bpmn_checks``, ``flow_checks`` and ``timer_checks``.

An exclusive gateway needs no default flow when its conditions are complete: two that negate each
other, or equality tests on one name that cover every string the files let it hold
(``possible_values``: the scripts' literal assignments and the forms' enums, over every file).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from .bpmn_xml import BPMN_NS, FORM_PROPERTY, SPIFF_NS, Element, bpmn_children, local, properties
from .checker import Checker
from .lanes import groups_by_node
from .timer_evaluation import TimerEvaluator
from .timer_samples import check_timer_sample

MESSAGE_CATCHES = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
_NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def lint_bpmn(checker: Checker, root: Element, evaluate_timers: TimerEvaluator | None = None) -> None:
    """Warn about every executable process of a BPMN document that breaks a lint rule.

    ``evaluate_timers`` evaluates timer expressions on sample data (None: in this process).
    """
    in_lane = set(groups_by_node(root))
    for process in bpmn_children(root, "process"):
        if process.get("isExecutable", "true") != "true":
            continue
        has_lanes = any(True for _ in process.iter(f"{{{BPMN_NS}}}lane"))
        for node in process.iter(f"{{{BPMN_NS}}}*"):
            name = local(node)
            if name == "userTask":
                _user_task(checker, node, in_lane, has_lanes)
            elif name == "receiveTask" and node.get("messageRef"):
                _message_catch(checker, root, node, node)
            elif name == "messageEventDefinition":
                event = node.getparent()
                if event is not None and local(event) in MESSAGE_CATCHES:
                    _message_catch(checker, root, event, node)
            elif name == "exclusiveGateway":
                _gateway(checker, process, node)
            elif name in ("timeDate", "timeDuration", "timeCycle"):
                check_timer_sample(checker, node, name, evaluate_timers)


def _user_task(checker: Checker, node: Element, in_lane: set[str], has_lanes: bool) -> None:
    """A user task is worked by its lane's group, with its form: without either nobody knows what to do."""
    if node.get("id") not in in_lane:
        where = "no lane of its process holds it" if has_lanes else "its process has no lanes"
        checker.warn(
            node,
            f"User task is in no lane ({where}), so no group is offered it; put it in the lane of the "
            "group that works it.",
            "user-task-form",
        )
    if not properties(node).get(FORM_PROPERTY):
        checker.warn(
            node,
            "User task has no form, so the person working it sees only a Complete button; pick a form "
            "from forms/ (the formJsonSchemaFilename property).",
            "user-task-form",
        )


def _message_catch(checker: Checker, root: Element, event: Element, definition: Element) -> None:
    """SpiffWorkflow keeps a message's payload only in the variable the catch names; otherwise it is lost."""
    variable = f"{{{SPIFF_NS}}}messageVariable"
    named = [v for v in definition.iter(variable) if (v.text or "").strip()]
    ref = definition.get("messageRef")
    message = next((m for m in bpmn_children(root, "message") if m.get("id") == ref), None)
    if named or (message is not None and any((v.text or "").strip() for v in message.iter(variable))):
        return
    misplaced = event is not definition and any(
        local(child) == "extensionElements" and child.find(variable) is not None for child in event
    )
    if misplaced:
        text = (
            "Message catch has its spiffworkflow:messageVariable on the event, where the engine does not "
            "read it, so the payload would be lost; move it into the messageEventDefinition's "
            "extensionElements."
        )
    else:
        text = (
            "Message catch names no payload variable, so the engine drops the message's payload; add "
            "spiffworkflow:messageVariable (e.g. goods_receipt) to its extensionElements."
        )
    checker.warn(event, text, "message-payload")


def _gateway(checker: Checker, process: Element, gateway: Element) -> None:
    """Without a default flow, a case whose data fits no condition stops at the gateway with an incident."""
    flows = [
        flow
        for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow")
        if flow.get("sourceRef") == gateway.get("id")
    ]
    if len(flows) < 2 or gateway.get("default"):
        return
    conditions = []
    for flow in flows:
        texts = [(c.text or "").strip() for c in bpmn_children(flow, "conditionExpression")]
        if not texts or not texts[0]:
            return  # a flow with neither condition nor default is a deploy error (flow_checks)
        conditions.append(texts[0])
    if len(conditions) == 2 and _complementary(*conditions):
        return
    if _covers_every_value(conditions, checker.values or {}):
        return
    checker.warn(
        gateway,
        "Exclusive gateway has no default flow: a case whose data fits none of its conditions stops here "
        "with an incident; make one flow the default, unless the conditions cover every case.",
        "gateway-default",
    )


def _complementary(first: str, second: str) -> bool:
    """Whether one condition negates the other (``x``/``not x``, ``a == b``/``a != b``, ``n < 3``/``n >= 3``).

    Such a pair covers every case, so the gateway needs no default flow.
    """
    try:
        one, other = (ast.parse(text, mode="eval").body for text in (first, second))
    except SyntaxError:
        return False
    for a, b in ((one, other), (other, one)):
        if isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.Not) and ast.dump(a.operand) == ast.dump(b):
            return True
    if not (isinstance(one, ast.Compare) and isinstance(other, ast.Compare)):
        return False
    if len(one.ops) != 1 or len(other.ops) != 1:
        return False
    negated = _NEGATED.get(type(one.ops[0]))
    return (
        negated is not None
        and isinstance(other.ops[0], negated)
        and ast.dump(one.left) == ast.dump(other.left)
        and ast.dump(one.comparators[0]) == ast.dump(other.comparators[0])
    )


Values = Mapping[str, frozenset[str] | None]  # a data name -> every string it can hold; None: unknown


def possible_values(
    roots: Iterable[Element], forms: Iterable[dict[str, Any]]
) -> dict[str, frozenset[str] | None]:
    """What each data name can hold, where the files say it all: scripts assign it only string literals,
    forms offer it only an enum of strings. A name also set another way (any other assignment, a form
    field without enum, a decision's output, a message's payload) is unknown (None)."""
    found: dict[str, set[str] | None] = {}

    def add(name: str, value: str | None) -> None:
        known = found.setdefault(name, set())
        if known is not None and value is not None:
            known.add(value)
        else:
            found[name] = None

    for root in roots:
        for node in root.iter():
            tag = local(node)
            if tag in ("script", "preScript", "postScript") and node.text:
                _assigned(node.text, add)
            elif tag == "messageVariable" and node.text:
                add(node.text.strip(), None)
            elif tag == "output" and node.get("name"):
                add(str(node.get("name")), None)
    for form in forms:
        for name, field in (form.get("properties") or {}).items():
            enum = field.get("enum") if isinstance(field, dict) else None
            if isinstance(enum, list) and all(isinstance(value, str) for value in enum):
                for value in enum:
                    add(name, value)
            else:
                add(name, None)
    return {name: frozenset(known) if known is not None else None for name, known in found.items()}


def _assigned(source: str, add: Any) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            literal = node.value.value if isinstance(node.value, ast.Constant) else None
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        simple = target is name and isinstance(literal, str)
                        add(name.id, literal if simple else None)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)) and isinstance(
            node.target, ast.Name
        ):
            add(node.target.id, None)
        elif isinstance(node, (ast.For, ast.comprehension)):
            for name in ast.walk(node.target):
                if isinstance(name, ast.Name):
                    add(name.id, None)


def _covers_every_value(conditions: list[str], values: Values) -> bool:
    """Whether conditions ``name == "a"`` / ``name in ("b", "c")`` on one name cover all it can hold."""
    names: set[str] = set()
    covered: set[str] = set()
    for text in conditions:
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            return False
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.left, ast.Name)):
            return False
        right = node.comparators[0]
        if (
            isinstance(node.ops[0], ast.Eq)
            and isinstance(right, ast.Constant)
            and isinstance(right.value, str)
        ):
            covered.add(right.value)
        elif isinstance(node.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            items = [item.value for item in right.elts if isinstance(item, ast.Constant)]
            if len(items) != len(right.elts) or not all(isinstance(item, str) for item in items):
                return False
            covered.update(str(item) for item in items)
        else:
            return False
        names.add(node.left.id)
    if len(names) != 1:
        return False
    known = values.get(names.pop())
    return known is not None and bool(known) and known <= covered
