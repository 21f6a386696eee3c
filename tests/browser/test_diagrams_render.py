"""Every process diagram renders in bpmn-js (the viewer analysts and the monitor use) without warnings,
and every label can be read: no label's drawn text overlaps another label or a shape other than its own.
"""

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


# The drawn text of each external label (events, gateways, flows) and the box of every other shape,
# in diagram coordinates, as bpmn-js lays them out (DI label bounds, or its defaults where absent).
BOXES = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  await viewer.importXML(xml);
  const registry = viewer.get('elementRegistry');
  const skip = ['bpmn:Process', 'bpmn:Collaboration', 'bpmn:Participant', 'bpmn:Lane', 'bpmn:SequenceFlow'];
  const labels = [];
  const shapes = [];
  for (const e of registry.getAll()) {
    if (e.type === 'label') {
      const text = registry.getGraphics(e).querySelector('text');
      const r = text ? text.getBBox() : null;
      if (r && r.width > 0) {
        const owner = e.labelTarget.id;
        labels.push({ id: e.id, owner, x: e.x + r.x, y: e.y + r.y, w: r.width, h: r.height });
      }
    } else if (!skip.includes(e.type) && e.width) {
      shapes.push({ id: e.id, owner: e.id, x: e.x, y: e.y, w: e.width, h: e.height });
    }
  }
  viewer.destroy();
  return { labels, shapes };
}"""


def _intersect(a: dict[str, Any], b: dict[str, Any]) -> bool:
    across = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
    return across and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


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


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[p.name for p in DIAGRAMS])
def test_no_label_overlaps_another_label_or_a_shape(page: Any, diagram: Path) -> None:
    drawn = page.evaluate(BOXES, diagram.read_text(encoding="utf-8"))
    labels, shapes = drawn["labels"], drawn["shapes"]
    assert labels, "no label was drawn: the check would pass on nothing"
    clashes = [
        f"{a['owner']} / {b['owner']}"
        for index, a in enumerate(labels)
        for b in labels[index + 1 :] + shapes
        if b["owner"] != a["owner"] and _intersect(a, b)
    ]
    assert not clashes, f"labels overlapping another label or a shape: {clashes}"


def test_the_overlap_check_sees_a_label_drawn_over_a_shape(page: Any) -> None:
    """The check can fail: a gateway's label moved onto the next task is found."""
    diagram = ROOT / "tests" / "data" / "lifecycle" / "order_review.bpmn"
    xml = diagram.read_text(encoding="utf-8")
    drawn = page.evaluate(BOXES, xml)
    task = next(s for s in drawn["shapes"] if s["id"] == "review_order")
    label = drawn["labels"][0]
    moved = {**label, "x": task["x"] + 5, "y": task["y"] + 5}
    assert _intersect(moved, task) and not _intersect({**moved, "x": task["x"] + task["w"] + 1}, task)
