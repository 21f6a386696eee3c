// Reading and writing spiffworkflow extension elements through bpmn-js's command stack (so undo works).
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const MULTI = "properties-panel.multi-command-executor";

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

export function extension(owner, type) {
  const values = (owner && owner.extensionElements && owner.extensionElements.get("values")) || [];
  return values.find((value) => is(value, type));
}

// The commands that give `owner` an extensionElements holding an element of `type` (made by `make`).
function ensure(element, owner, type, make, bpmnFactory, commands) {
  let container = owner.extensionElements;
  if (!container) {
    container = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    container.$parent = owner;
    commands.push(update(element, owner, { extensionElements: container }));
  }
  let found = container.get("values").find((value) => is(value, type));
  if (!found) {
    found = make();
    found.$parent = container;
    commands.push(update(element, container, { values: [...container.get("values"), found] }));
  }
  return { container, found };
}

function run(injector, commands) {
  if (commands.length) injector.get("commandStack").execute(MULTI, commands);
}

// spiffworkflow:property name="..." value="..." of the element.
export function getProperty(element, name) {
  const properties = extension(getBusinessObject(element), "spiffworkflow:Properties");
  const found = properties && properties.get("properties").find((item) => item.name === name);
  return found ? found.value || "" : "";
}

export function setProperty(injector, element, name, value) {
  const owner = getBusinessObject(element);
  const bpmnFactory = injector.get("bpmnFactory");
  const commands = [];
  const existing = extension(owner, "spiffworkflow:Properties");
  const current = existing && existing.get("properties").find((item) => item.name === name);
  if (!value) {
    if (current) commands.push(update(element, existing, { properties: existing.get("properties").filter((p) => p !== current) }));
    return run(injector, commands);
  }
  if (current) return run(injector, [update(element, current, { value })]);
  const make = () => bpmnFactory.create("spiffworkflow:Properties", { properties: [] });
  const { found } = ensure(element, owner, "spiffworkflow:Properties", make, bpmnFactory, commands);
  const property = bpmnFactory.create("spiffworkflow:Property", { name, value });
  property.$parent = found;
  commands.push(update(element, found, { properties: [...found.get("properties"), property] }));
  run(injector, commands);
}

// An extension element of `type` with a text body (messageVariable, calledDecisionId) on `owner`.
export function getBody(owner, type) {
  const found = extension(owner, type);
  return found ? found.value || "" : "";
}

export function setBody(injector, element, owner, type, value) {
  const bpmnFactory = injector.get("bpmnFactory");
  const commands = [];
  const existing = extension(owner, type);
  if (!value) {
    if (existing) {
      const container = owner.extensionElements;
      commands.push(update(element, container, { values: container.get("values").filter((v) => v !== existing) }));
    }
    return run(injector, commands);
  }
  if (existing) return run(injector, [update(element, existing, { value })]);
  ensure(element, owner, type, () => bpmnFactory.create(type, { value }), bpmnFactory, commands);
  run(injector, commands);
}
