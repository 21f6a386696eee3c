// A sequence flow's condition (bpmn:conditionExpression), a Python expression on the case data.
import { TextAreaEntry, isTextAreaEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";

function Condition({ element, id }) {
  const translate = useService("translate");
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const flow = getBusinessObject(element);
  const setValue = (value) => {
    const condition = flow.get("conditionExpression");
    if (!value) modeling.updateProperties(element, { conditionExpression: undefined });
    else if (condition) modeling.updateModdleProperties(element, condition, { body: value });
    else modeling.updateProperties(element, { conditionExpression: bpmnFactory.create("bpmn:FormalExpression", { body: value }) });
  };
  return h(TextAreaEntry, {
    element,
    id,
    label: translate("Condition"),
    description: translate("A Python expression on the case data; empty for the default flow."),
    getValue: () => (flow.get("conditionExpression") ? flow.get("conditionExpression").get("body") : "") || "",
    setValue,
    debounce,
    monospace: true,
  });
}

export function conditionGroup(element, translate) {
  if (!is(element, "bpmn:SequenceFlow")) return null;
  const source = getBusinessObject(element).get("sourceRef");
  if (!isAny(source, ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"]) && !getBusinessObject(element).get("conditionExpression")) return null;
  return {
    id: "rma-condition",
    label: translate("Condition"),
    entries: [{ id: "rma-condition-expression", component: Condition, isEdited: isTextAreaEntryEdited }],
  };
}
