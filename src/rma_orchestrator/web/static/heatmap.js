// The SLA heatmap: bpmn-js's navigated viewer (window.BpmnJS) shows the version's diagram; each
// element with figures gets an overlay (passed / waiting now / median / p90 / late), the late ones
// a red marker; a click on a user task opens its late cases, on a call activity the heatmap of the
// process it calls (the same links as the table's).
(function () {
  "use strict";

  const container = document.getElementById("diagram");
  const source = document.getElementById("heatmap-data");
  if (!container || !source) return;
  if (typeof window.BpmnJS !== "function") {
    container.textContent = container.dataset.failed || "";
    return;
  }
  const data = JSON.parse(source.textContent);
  const viewer = new window.BpmnJS({ container });
  const byId = new Map(data.elements.map((element) => [element.element_id, element]));

  function mark() {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    for (const element of data.elements) {
      if (!registry.get(element.element_id)) continue;
      canvas.addMarker(element.element_id, "rma-figures");
      if (element.url) canvas.addMarker(element.element_id, "rma-link");
      if (element.hot) canvas.addMarker(element.element_id, "rma-hot");
      const badge = document.createElement(element.url ? "a" : "span");
      badge.className = element.hot ? "rma-heat hot" : "rma-heat";
      badge.dataset.element = element.element_id;
      if (element.url) badge.href = element.url;
      badge.textContent = element.label;
      overlays.add(element.element_id, "rma-heat", { position: { bottom: -6, left: -10 }, html: badge });
    }
  }

  viewer.get("eventBus").on("element.click", (event) => {
    const element = byId.get(event.element.id);
    if (element && element.url) window.location.assign(element.url);
  });

  viewer
    .importXML(data.xml)
    .then(() => {
      viewer.get("canvas").zoom("fit-viewport");
      mark();
      container.dataset.ready = "true";
    })
    .catch((error) => {
      container.dataset.ready = "failed";
      container.textContent = container.dataset.failed + " (" + error.message + ")";
    });
})();
