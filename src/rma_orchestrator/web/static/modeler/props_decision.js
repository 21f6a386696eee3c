// The decision table a business rule task calls (spiffworkflow:calledDecisionId).
import { SelectEntry, isSelectEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import { getBody, setBody } from "./extensions";

const TYPE = "spiffworkflow:CalledDecisionId";

function Decision({ element, id }) {
  const translate = useService("translate");
  const injector = useService("injector");
  const known = useService("rmaOptions").decisions || [];
  const owner = getBusinessObject(element);
  const getOptions = () => {
    const current = getBody(owner, TYPE);
    const ids = current && !known.includes(current) ? [...known, current] : known;
    return [{ value: "", label: translate("(none)") }, ...ids.map((value) => ({ value, label: value }))];
  };
  return h(SelectEntry, {
    element,
    id,
    label: translate("Decision table"),
    getValue: () => getBody(owner, TYPE),
    setValue: (value) => setBody(injector, element, owner, TYPE, value),
    getOptions,
  });
}

export function decisionGroup(element, translate) {
  if (!is(element, "bpmn:BusinessRuleTask")) return null;
  return { id: "rma-decision", label: translate("Decision"), entries: [{ id: "rma-decision-id", component: Decision, isEdited: isSelectEntryEdited }] };
}
