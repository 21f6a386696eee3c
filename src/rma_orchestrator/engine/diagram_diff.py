"""What changed between two versions of a process, as a process analyst reads it.

Elements of the main BPMN file are matched by id across its processes, lanes, flows, events,
gateways and tasks; each is reduced to the facts that change behaviour or wording (name, type,
attached-to, flow ends, conditions, timers, messages, scripts, lane, spiffworkflow properties,
default flow, ...), so layout alone (the diagram interchange coordinates) is never a change: an
element whose only difference is its shape or waypoints is counted as ``moved``. DMN tables are
compared by ``decision_diff``. Files are parsed with the deploy's safe parser (no DTD, no entity
expansion, no network) and refused above a size limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from .bpmn_xml import BPMN_NS, FLOW_NODES, SPIFF_NS, Element, bpmn_children, local
from .decision_diff import DecisionChange, decision_changes
from .parse import read_source

Change = Literal["added", "removed", "changed"]
MAX_FILE_BYTES = 8 * 1024 * 1024  # ten times our largest diagram; a deploy would not take much more
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# Elements compared besides the flow nodes: everything an analyst draws or names.
OTHER_ELEMENTS = frozenset(
    {
        "process",
        "participant",
        "lane",
        "sequenceFlow",
        "messageFlow",
        "association",
        "textAnnotation",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "message",
        "signal",
        "error",
        "escalation",
    }
)
TRACKED = FLOW_NODES | OTHER_ELEMENTS
# Attributes read into named facts (or meaning nothing: the id, and ends derived from the flows).
_READ_ATTRIBUTES = frozenset(
    {"id", "name", "attachedToRef", "cancelActivity", "sourceRef", "targetRef", "default", "messageRef"}
    | {"calledElement", "processRef", "scriptFormat"}
)
_READ_CHILDREN = frozenset(
    {"incoming", "outgoing", "documentation", "extensionElements", "conditionExpression", "script"}
    | {"timerEventDefinition", "messageEventDefinition", "flowNodeRef", "laneSet", "childLaneSet"}
)
_TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


class UnreadableFile(ValueError):
    """A file of a version could not be read safely; ``message`` says why."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{file}: {message}")
        self.file, self.message, self.line = file, message, line


@dataclass(frozen=True)
class Detail:
    """One difference of an element: ``aspect`` names it (``name``, ``timer``, ``property``...),
    ``key`` says which one where there are several (a property's name), before and after as text."""

    aspect: str
    key: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    id: str
    type: str  # the BPMN element's local name, e.g. userTask, boundaryEvent, sequenceFlow
    name: str | None
    change: Change
    details: list[Detail] = field(default_factory=list)


@dataclass(frozen=True)
class FileChange:
    name: str
    change: Change


@dataclass(frozen=True)
class VersionDiff:
    elements: list[ElementChange]
    moved: list[str]  # ids whose drawing moved but nothing else changed
    decisions: list[DecisionChange]
    files: list[FileChange]


def diff_versions(old: dict[str, bytes], new: dict[str, bytes], old_main: str, new_main: str) -> VersionDiff:
    """The changes from ``old`` to ``new`` (file name → content), each with its main .bpmn file."""
    before, after = _read_bpmn(old_main, old[old_main]), _read_bpmn(new_main, new[new_main])
    old_facts, new_facts = facts_of(before), facts_of(after)
    elements = [_element(i, old_facts[i], "removed") for i in sorted(old_facts.keys() - new_facts.keys())]
    elements += [_element(i, new_facts[i], "added") for i in sorted(new_facts.keys() - old_facts.keys())]
    unchanged = []
    for element_id in sorted(old_facts.keys() & new_facts.keys()):
        details = _details(old_facts[element_id], new_facts[element_id])
        if details:
            elements.append(_element(element_id, new_facts[element_id], "changed", details))
        else:
            unchanged.append(element_id)
    old_layout, new_layout = layout_of(before), layout_of(after)
    moved = [i for i in unchanged if old_layout.get(i) != new_layout.get(i)]
    old_dmn = {n: c for n, c in old.items() if n.endswith(".dmn")}
    new_dmn = {n: c for n, c in new.items() if n.endswith(".dmn")}
    decisions = decision_changes(
        {n: _read(n, c, "dmn") for n, c in old_dmn.items()},
        {n: _read(n, c, "dmn") for n, c in new_dmn.items()},
    )
    return VersionDiff(elements, moved, decisions, file_changes(old, new))


def _element(
    element_id: str, facts: Facts, change: Change, details: list[Detail] | None = None
) -> ElementChange:
    return ElementChange(element_id, facts.get("type") or "", facts.get("name"), change, details or [])


def file_changes(old: dict[str, bytes], new: dict[str, bytes]) -> list[FileChange]:
    changes = [FileChange(n, "removed") for n in old.keys() - new.keys()]
    changes += [FileChange(n, "added") for n in new.keys() - old.keys()]
    changes += [FileChange(n, "changed") for n in old.keys() & new.keys() if old[n] != new[n]]
    return sorted(changes, key=lambda c: c.name)


def _read_bpmn(name: str, raw: bytes) -> Element:
    return _read(name, raw, "bpmn")


def _read(name: str, raw: bytes, kind: str) -> Element:
    """The root of one file, parsed as a deploy parses it (DOCTYPEs refused, nothing expanded)."""
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableFile(name, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    source = read_source(f"{name.rsplit('.', 1)[0]}.{kind}", raw, report=False)
    if source.root is None:
        first = source.errors[0] if source.errors else {}
        line = first.get("line")
        message = str(first.get("message", "the file could not be read"))
        raise UnreadableFile(name, message, line if isinstance(line, int) else None)
    return source.root


# ---- facts of an element ----------------------------------------------------------------------------

Facts = dict[str, str | None]


def facts_of(root: Element) -> dict[str, Facts]:
    """Every tracked element of a BPMN file by id, as a flat mapping of fact → text."""
    messages = {m.get("id"): m.get("name") or m.get("id") for m in bpmn_children(root, "message")}
    lanes = _lane_of(root)
    found: dict[str, Facts] = {}
    for node in _tracked(root):
        element_id = node.get("id")
        if element_id and element_id not in found:
            found[element_id] = _facts(node, messages, lanes.get(element_id))
    return found


def _tracked(root: Element) -> Iterator[Element]:
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        if local(node) in TRACKED:
            yield node


def _lane_of(root: Element) -> dict[str, str]:
    """Flow node id → the innermost lane holding it (its name, or its id when it has none)."""
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):  # document order: inner lanes come after outer ones
        label = lane.get("name") or lane.get("id") or ""
        for ref in bpmn_children(lane, "flowNodeRef"):
            if ref.text and ref.text.strip():
                lanes[ref.text.strip()] = label
    return lanes


def _facts(node: Element, messages: dict[str | None, str | None], lane: str | None) -> Facts:
    kind = local(node)
    facts: Facts = {"type": kind, "name": node.get("name")}
    definitions = [local(c)[: -len("EventDefinition")] for c in node if local(c).endswith("EventDefinition")]
    if definitions:
        facts["event"] = ", ".join(definitions)
    owner = _owner_process(node)
    if owner is not None and kind != "process":
        facts["process"] = owner
    if kind in FLOW_NODES:
        facts["lane"] = lane
    for attribute, fact in (
        ("attachedToRef", "attached_to"),
        ("cancelActivity", "interrupting"),
        ("sourceRef", "source"),
        ("targetRef", "target"),
        ("default", "default_flow"),
        ("calledElement", "called_process"),
        ("processRef", "process_ref"),
    ):
        if node.get(attribute) is not None:
            facts[fact] = node.get(attribute)
    if kind == "boundaryEvent":
        facts["interrupting"] = "false" if node.get("cancelActivity") == "false" else "true"
    facts["documentation"] = _text(node.find(f"{{{BPMN_NS}}}documentation"))
    condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
    if condition is not None:
        facts["condition"] = _text(condition)
    script = node.find(f"{{{BPMN_NS}}}script")
    if script is not None:
        facts["script"] = _text(script)
    for timer in node.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        for expression in timer:
            if local(expression) in _TIMER_KINDS:
                facts["timer"] = f"{local(expression)}: {_text(expression) or ''}"
    message_ref = node.get("messageRef")
    for definition in node.iter(f"{{{BPMN_NS}}}messageEventDefinition"):
        message_ref = definition.get("messageRef") or message_ref
        facts.update(_extensions(definition))
    if message_ref is not None:
        facts["message"] = messages.get(message_ref) or message_ref
    facts.update(_extensions(node))
    facts["other"] = _residue(node)
    return {k: v for k, v in facts.items() if v is not None}


def _owner_process(node: Element) -> str | None:
    parent = node.getparent()
    while parent is not None and local(parent) not in ("process", "subProcess", "collaboration"):
        parent = parent.getparent()
    return parent.get("id") if parent is not None else None


def _extensions(node: Element) -> Facts:
    """The spiffworkflow extensions of a node: each property, and every other extension by its name."""
    facts: Facts = {}
    for holder in bpmn_children(node, "extensionElements"):
        for extension in holder:
            name = local(extension)
            if not name:
                continue
            if name == "properties" and etree.QName(extension).namespace == SPIFF_NS:
                for prop in extension:
                    if local(prop) == "property" and prop.get("name"):
                        facts[f"property:{prop.get('name')}"] = prop.get("value")
            elif name == "messageVariable":
                facts["message_variable"] = _text(extension)
            elif name == "calledDecisionId":
                facts["called_decision"] = _text(extension)
            elif name in ("preScript", "postScript", "instructionsForEndUser"):
                facts[name] = _text(extension)
            else:
                facts[f"extension:{name}"] = _canonical(extension)
    return facts


def _residue(node: Element) -> str | None:
    """What the named facts do not cover (other attributes and children), in a canonical form."""
    parts = [
        f"{etree.QName(k).localname}={v}"
        for k, v in sorted(node.attrib.items())
        if etree.QName(k).localname not in _READ_ATTRIBUTES and k != _XSI_TYPE
    ]
    for child in node:
        name = local(child)
        if not name or name in _READ_CHILDREN or name in TRACKED:
            continue
        if name.endswith("EventDefinition") and not len(child) and not _attributes(child):
            continue  # terminate, error without a ref...: named in the event fact already
        parts.append(_canonical(child))
    return "\n".join(parts) or None


def _attributes(node: Element) -> dict[str, str]:
    return {etree.QName(k).localname: v for k, v in node.attrib.items() if etree.QName(k).localname != "id"}


def _canonical(node: Element) -> str:
    """A node's tag, attributes (ids left out) and text, and those of its children, on one line."""
    attributes = " ".join(f"{k}={v}" for k, v in sorted(_attributes(node).items()))
    inner = " ".join(_canonical(child) for child in node if local(child))
    text = _text(node) or ""
    return f"<{local(node)} {attributes}>{text}{inner}</{local(node)}>".replace(" >", ">")


def _text(node: Element | None) -> str | None:
    if node is None:
        return None
    text = "".join(t for t in node.itertext() if isinstance(t, str)) if len(node) == 0 else (node.text or "")
    return text.strip() or None


def _details(old: Facts, new: Facts) -> list[Detail]:
    details = []
    for fact in sorted(old.keys() | new.keys(), key=_fact_order):
        if fact == "other" or old.get(fact) == new.get(fact):
            continue
        aspect, _, key = fact.partition(":")
        details.append(Detail(aspect, key or None, old.get(fact), new.get(fact)))
    if old.get("other") != new.get("other"):
        details.append(Detail("other", None, old.get("other"), new.get("other")))
    return details


_ORDER = ("type", "event", "name", "process", "lane", "attached_to", "interrupting", "source", "target")


def _fact_order(fact: str) -> tuple[int, str]:
    return (_ORDER.index(fact) if fact in _ORDER else len(_ORDER), fact)


# ---- layout -----------------------------------------------------------------------------------------


def layout_of(root: Element) -> dict[str, tuple[str, ...]]:
    """Element id → its drawing (bounds of a shape, waypoints of an edge, its label's bounds)."""
    drawn: dict[str, tuple[str, ...]] = {}
    for item in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge"):
        element_id = item.get("bpmnElement")
        if element_id:
            drawn[element_id] = tuple(_canonical(child) for child in item.iter() if child is not item)
    return drawn
