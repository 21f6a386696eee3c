// The compare page: two bpmn-js viewers (window.BpmnJS), the old version and the new one. Added
// elements are marked on the new diagram, removed ones on the old, changed ones on both, each with a
// marker class (rma-added, rma-removed, rma-changed) and a badge (+, −, ~) so that colour is not the
// only sign. A click on a change in the list scrolls both diagrams to the element and highlights it.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("compare-data").textContent);
  const sides = {
    before: { container: document.getElementById("diagram-before"), xml: data.before, shows: ["removed", "changed"] },
    after: { container: document.getElementById("diagram-after"), xml: data.after, shows: ["added", "changed"] },
  };
  const list = document.getElementById("change-list");
  if (typeof window.BpmnJS !== "function") {
    for (const side of Object.values(sides)) side.container.textContent = side.container.dataset.failed;
    return;
  }

  function mark(side) {
    const canvas = side.viewer.get("canvas");
    const registry = side.viewer.get("elementRegistry");
    const overlays = side.viewer.get("overlays");
    for (const item of data.changes) {
      if (!side.shows.includes(item.change) || !registry.get(item.id)) continue;
      canvas.addMarker(item.id, "rma-" + item.change);
      const badge = document.createElement("div");
      badge.className = "rma-change-badge rma-change-" + item.change;
      badge.dataset.element = item.id;
      badge.title = data.titles[item.change];
      badge.textContent = data.badges[item.change];
      overlays.add(item.id, "rma-change", { position: { top: -10, right: 8 }, html: badge });
    }
  }

  async function show(name) {
    const side = sides[name];
    side.viewer = new window.BpmnJS({ container: side.container });
    try {
      await side.viewer.importXML(side.xml);
      side.viewer.get("canvas").zoom("fit-viewport");
      mark(side);
      side.container.dataset.ready = "true";
    } catch (error) {
      side.container.dataset.ready = "failed";
      side.container.textContent = side.container.dataset.failed + " (" + error.message + ")";
    }
  }

  function focus(elementId) {
    for (const side of Object.values(sides)) {
      if (!side.viewer || side.container.dataset.ready !== "true") continue;
      const canvas = side.viewer.get("canvas");
      const registry = side.viewer.get("elementRegistry");
      for (const element of registry.filter((e) => canvas.hasMarker(e, "rma-focus"))) {
        canvas.removeMarker(element, "rma-focus");
      }
      const element = registry.get(elementId);
      if (!element) continue;
      canvas.addMarker(element, "rma-focus");
      canvas.zoom(1);  // close enough to read the element's label, then brought into view
      canvas.scrollToElement(element, { top: 80, bottom: 80, left: 80, right: 80 });
    }
    for (const item of list.querySelectorAll(".change-item")) {
      item.toggleAttribute("data-selected", item.dataset.element === elementId);
    }
    document.querySelector(".compare-diagrams").scrollIntoView({ block: "nearest" });
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest(".change-select");
    if (button) focus(button.dataset.element);
  });
  for (const name of Object.keys(sides)) {
    show(name).then(() => {
      sides[name].viewer.get("eventBus").on("element.click", (event) => {
        const entry = list.querySelector(".change-item[data-element='" + CSS.escape(event.element.id) + "']");
        if (!entry) return;
        focus(event.element.id);
        entry.scrollIntoView({ block: "nearest" });
      });
    });
  }
})();
