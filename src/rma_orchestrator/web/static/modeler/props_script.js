// A script task's Python script (bpmn:script), run in the engine's sandbox.
import { TextAreaEntry, isTextAreaEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

function Script({ element, id }) {
  const translate = useService("translate");
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return h(TextAreaEntry, {
    element,
    id,
    label: translate("Script"),
    getValue: () => getBusinessObject(element).get("script") || "",
    setValue: (value) => modeling.updateProperties(element, { script: value || undefined, scriptFormat: "python" }),
    debounce,
    monospace: true,
    rows: 10,
  });
}

export function scriptGroup(element, translate) {
  if (!is(element, "bpmn:ScriptTask")) return null;
  return { id: "rma-script", label: translate("Script"), entries: [{ id: "rma-script-text", component: Script, isEdited: isTextAreaEntryEdited }] };
}
