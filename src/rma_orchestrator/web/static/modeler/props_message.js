// The variable a caught message's payload is stored in (spiffworkflow:messageVariable), added to
// bpmn-js-properties-panel's own message group (which names the message).
import { TextFieldEntry, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";
import { getBody, setBody } from "./extensions";

const TYPE = "spiffworkflow:MessageVariable";

// Where the messageVariable lives: on a receive task itself, on a catch event's message definition.
function payloadOwner(element) {
  const bo = getBusinessObject(element);
  if (is(element, "bpmn:ReceiveTask")) return bo;
  if (!isAny(element, ["bpmn:StartEvent", "bpmn:IntermediateCatchEvent", "bpmn:BoundaryEvent"])) return null;
  return (bo.get("eventDefinitions") || []).find((definition) => is(definition, "bpmn:MessageEventDefinition")) || null;
}

function PayloadVariable({ element, id }) {
  const translate = useService("translate");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const owner = payloadOwner(element);
  return h(TextFieldEntry, {
    element,
    id,
    label: translate("Payload variable"),
    description: translate("The case data name the message's payload is stored in."),
    getValue: () => getBody(owner, TYPE),
    setValue: (value) => setBody(injector, element, owner, TYPE, (value || "").trim()),
    debounce,
  });
}

export function payloadEntry(element) {
  return payloadOwner(element) ? { id: "rma-message-variable", component: PayloadVariable, isEdited: isTextFieldEntryEdited } : null;
}
