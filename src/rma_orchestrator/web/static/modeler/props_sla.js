// SLA properties of a timer event: spiffworkflow:property sla (the SLA's name, counted on breach) and
// breach (legal: the breach is also a legal breach).
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getProperty, setProperty } from "./extensions";
import { timerDefinition } from "./props_timer";

function Sla({ element, id }) {
  const translate = useService("translate");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return h(TextFieldEntry, {
    element,
    id,
    label: translate("SLA name"),
    description: translate("When the timer fires, an SLA breach under this name is recorded."),
    getValue: () => getProperty(element, "sla"),
    setValue: (value) => setProperty(injector, element, "sla", (value || "").trim()),
    debounce,
  });
}

function Breach({ element, id }) {
  const translate = useService("translate");
  const injector = useService("injector");
  return h(SelectEntry, {
    element,
    id,
    label: translate("Breach kind"),
    getValue: () => getProperty(element, "breach"),
    setValue: (value) => setProperty(injector, element, "breach", value),
    getOptions: () => [{ value: "", label: translate("SLA breach only") }, { value: "legal", label: translate("legal breach") }],
  });
}

export function slaGroup(element, translate) {
  if (!timerDefinition(element) && !getProperty(element, "sla")) return null;
  return {
    id: "rma-sla",
    label: translate("SLA"),
    entries: [
      { id: "rma-sla-name", component: Sla, isEdited: isTextFieldEntryEdited },
      { id: "rma-sla-breach", component: Breach, isEdited: isSelectEntryEdited },
    ],
  };
}
