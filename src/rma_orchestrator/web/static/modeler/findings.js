// Validation findings: listed under the editor, each error or warning marked on its element (a marker
// class and an overlay); clicking a finding selects the element and scrolls it into view.
const MARKER = { error: "rma-finding-error", warning: "rma-finding-warning" };

export function showFindings(list, result, file, diagram, texts) {
  list.textContent = "";
  diagram.clear();
  const items = [
    ...(result.errors || []).map((finding) => ({ ...finding, severity: "error" })),
    ...(result.warnings || []).map((finding) => ({ ...finding, severity: "warning" })),
  ];
  for (const finding of items) {
    const here = finding.file === file && finding.element && diagram.has(finding.element);
    if (here) diagram.mark(finding.element, finding.severity, finding.message);
    const item = document.createElement("li");
    item.className = "finding finding-" + finding.severity;
    item.dataset.element = finding.element || "";
    const head = document.createElement(here ? "button" : "span");
    if (here) {
      head.type = "button";
      head.addEventListener("click", () => diagram.select(finding.element));
    }
    head.textContent = [texts[finding.severity], finding.file + (finding.line ? ":" + finding.line : ""), finding.element].filter(Boolean).join(" · ");
    const message = document.createElement("p");
    message.textContent = finding.message + (finding.rule ? " [" + finding.rule + "]" : "");
    item.append(head, message);
    list.appendChild(item);
  }
  return items.length;
}

// The marks on a bpmn-js diagram (canvas markers and overlays).
export function diagramMarks(modeler) {
  const marked = [];
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  // A finding may name a part of a shape (a timer's or message's event definition): mark its shape.
  function shape(id) {
    return registry.get(id) || registry.find((element) => {
      const definitions = (element.businessObject && element.businessObject.eventDefinitions) || [];
      return !element.labelTarget && definitions.some((definition) => definition.id === id);
    });
  }
  return {
    has: (id) => Boolean(shape(id)),
    mark(found, severity, message) {
      const id = shape(found).id;
      canvas.addMarker(id, MARKER[severity]);
      const badge = document.createElement("div");
      badge.className = "rma-finding-badge rma-finding-badge-" + severity;
      badge.title = message;
      badge.textContent = severity === "error" ? "!" : "?";
      overlays.add(id, "rma-finding", { position: { top: -10, right: 10 }, html: badge });
      marked.push(id);
    },
    clear() {
      for (const id of marked.splice(0)) {
        if (!registry.get(id)) continue;
        canvas.removeMarker(id, MARKER.error);
        canvas.removeMarker(id, MARKER.warning);
      }
      overlays.remove({ type: "rma-finding" });
    },
    select(id) {
      const element = shape(id);
      if (!element) return;
      modeler.get("selection").select(element);
      canvas.scrollToElement(element);
    },
  };
}

export const NO_DIAGRAM = { has: () => false, mark() {}, clear() {}, select() {} };
