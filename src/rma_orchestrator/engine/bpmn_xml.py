"""BPMN XML vocabulary and lookups shared by the parse step and the static checks.

Names, namespaces and the spiffworkflow extension elements as SpiffWorkflow's parser reads them,
plus which flow-node tags exist in BPMN and which of them the engine can parse at all.
"""

from __future__ import annotations

from typing import TypeAlias

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_PROPERTY = "formJsonSchemaFilename"
PROPERTY = f"properties/{{{SPIFF_NS}}}property"

Element: TypeAlias = etree._Element  # any node of a parsed file, comments included

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


def local(node: Element) -> str:
    """Local tag name of an element, '' for comments and processing instructions."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def bpmn_children(node: Element, name: str) -> list[Element]:
    """The direct ``bpmn:<name>`` children of a node."""
    return node.findall(f"{{{BPMN_NS}}}{name}")


def owner_id(node: Element | None) -> str | None:
    """Id of the node or of its nearest ancestor that has one."""
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def extension(node: Element, name: str) -> list[Element]:
    """The ``spiffworkflow:<name>`` children of a node's extensionElements."""
    return node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}")


def properties(node: Element) -> dict[str, str]:
    """The spiffworkflow:property name/value pairs of a node, as the spiff parser reads them."""
    return {
        name: value
        for prop in extension(node, PROPERTY)
        if (name := prop.get("name")) is not None and (value := prop.get("value")) is not None
    }
