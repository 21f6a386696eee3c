// The monitor's instance diagram: bpmn-js's navigated viewer (window.BpmnJS) shows the instance's own
// version with a marker per element state, the sequence flows taken, the due time of each waiting
// timer; a click on a call activity opens the called process's diagram with its own markers.
(function () {
  "use strict";

  const container = document.getElementById("diagram");
  if (!container || typeof window.BpmnJS !== "function") {
    if (container) container.textContent = container.dataset.failed || "";
    return;
  }
  const MARKERS = { completed: "rma-completed", active: "rma-active", waiting: "rma-waiting", error: "rma-failed", cancelled: "rma-cancelled" };
  const REACHED = ["completed", "active", "waiting", "error"];
  const viewer = new window.BpmnJS({ container });
  const nav = document.getElementById("diagram-nav");
  const calls = document.getElementById("diagram-calls");
  const topButton = document.getElementById("diagram-top");
  const nameSlot = document.getElementById("diagram-name");
  let current = null;

  function url(processKey) {
    return processKey ? container.dataset.url + "?process=" + encodeURIComponent(processKey) : container.dataset.url;
  }

  // A flow was taken when its source was left (completed) and its target reached.
  function takenFlows(registry, states) {
    return registry.filter((element) => {
      if (element.type !== "bpmn:SequenceFlow") return false;
      const bo = element.businessObject;
      const from = bo.sourceRef && states[bo.sourceRef.id];
      const to = bo.targetRef && states[bo.targetRef.id];
      return from === "completed" && REACHED.includes(to);
    });
  }

  function mark(diagram) {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    for (const [elementId, state] of Object.entries(diagram.states)) {
      if (registry.get(elementId) && MARKERS[state]) canvas.addMarker(elementId, MARKERS[state]);
    }
    for (const flow of takenFlows(registry, diagram.states)) canvas.addMarker(flow.id, "rma-taken");
    for (const timer of diagram.timers) {
      if (!registry.get(timer.element_id)) continue;
      canvas.addMarker(timer.element_id, "rma-waiting");
      canvas.addMarker(timer.element_id, "rma-timer");
      const badge = document.createElement("div");
      badge.className = "rma-due";
      badge.dataset.element = timer.element_id;
      badge.title = timer.due_at;
      badge.textContent = timer.label;
      overlays.add(timer.element_id, "rma-due", { position: { bottom: -6, left: -20 }, html: badge });
    }
    for (const elementId of Object.keys(diagram.calls)) {
      if (registry.get(elementId)) canvas.addMarker(elementId, "rma-call");
    }
  }

  function showCalls(diagram) {
    calls.textContent = "";
    const keys = [...new Set(Object.values(diagram.calls))];
    for (const key of keys) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = key;
      button.dataset.process = key;
      button.addEventListener("click", () => open(key));
      calls.appendChild(button);
    }
    const nested = diagram.process_key !== diagram.top_process_key;
    topButton.hidden = !nested;
    nav.hidden = !nested && keys.length === 0;
  }

  async function open(processKey) {
    try {
      const answer = await fetch(url(processKey), { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      const diagram = await answer.json();
      await viewer.importXML(diagram.xml);
      viewer.get("canvas").zoom("fit-viewport");
      mark(diagram);
      current = diagram;
      container.dataset.process = diagram.process_key;
      nameSlot.textContent = diagram.process_key + " v" + diagram.version;
      showCalls(diagram);
      container.dataset.ready = "true";
    } catch (error) {
      container.dataset.ready = "failed";
      nameSlot.textContent = container.dataset.failed + " (" + error.message + ")";
    }
  }

  viewer.get("eventBus").on("element.click", (event) => {
    const called = current && current.calls[event.element.id];
    if (called) open(called);
  });
  topButton.addEventListener("click", () => open(null));
  open(null);
})();

// After a refused action the page comes back with the problem at its form: bring that form into view.
(function () {
  "use strict";
  const refused = document.querySelector("[data-refused]");
  if (!refused) return;
  refused.scrollIntoView({ block: "center" });
  const form = refused.closest("form");  // a conflict is shown above the page, outside any form
  const field = form && form.querySelector("input:not([type=hidden]), textarea");
  if (field) field.focus({ preventScroll: true });
})();
