"""Every process diagram renders in bpmn-js (the viewer analysts and the monitor use) without warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).parents[2]
VIEWER = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn")) + sorted(
    (ROOT / "tests" / "data" / "lifecycle").glob("*.bpmn")
)
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "manualTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
}
RENDER = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  const { warnings } = await viewer.importXML(xml);
  const registry = viewer.get('elementRegistry');
  const drawn = registry.getAll().filter((e) => e.type !== 'label').map((e) => e.id);
  const box = viewer.get('canvas').viewbox();
  const size = { width: box.inner.width, height: box.inner.height };
  return { warnings: warnings.map((w) => w.message), drawn, ...size };
}"""


@pytest.fixture(scope="module")
def page(browser: Any) -> Any:
    assert VIEWER.exists(), "bpmn-js is missing: run `make setup` (npm install)"
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_content("<html><body><div id='canvas' style='width:1600px;height:1000px'></div></body></html>")
    page.add_script_tag(path=str(VIEWER))
    yield page
    page.close()


def _flow_and_sequence_ids(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    ids = set()
    for element in root.iter(f"{{{BPMN}}}*"):
        local = etree.QName(element).localname
        if local in FLOW_NODE_TAGS or local in ("sequenceFlow", "lane", "participant"):
            ids.add(element.get("id"))
    return ids


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[p.name for p in DIAGRAMS])
def test_diagram_renders_every_element(page: Any, diagram: Path) -> None:
    result = page.evaluate(RENDER, diagram.read_text(encoding="utf-8"))
    assert result["warnings"] == []
    missing = _flow_and_sequence_ids(diagram) - set(result["drawn"])
    assert not missing, f"elements without a shape or edge in the diagram: {sorted(missing)}"
    assert result["width"] > 100 and result["height"] > 50
