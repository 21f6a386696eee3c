// A user task's form: spiffworkflow:property formJsonSchemaFilename, picked from the forms the page knows.
import { SelectEntry, isSelectEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";
import { getProperty, setProperty } from "./extensions";

const NAME = "formJsonSchemaFilename";

function FormFile({ element, id }) {
  const injector = useService("injector");
  const translate = useService("translate");
  const forms = useService("rmaOptions").forms || [];
  const getOptions = () => {
    const current = getProperty(element, NAME);
    const names = current && !forms.includes(current) ? [...forms, current] : forms;
    return [
      { value: "", label: translate("(no form)") },
      ...names.map((name) => ({ value: name, label: forms.includes(name) ? name : name + " " + translate("(missing)") })),
    ];
  };
  return h(SelectEntry, {
    element,
    id,
    label: translate("Form file"),
    getValue: () => getProperty(element, NAME),
    setValue: (value) => setProperty(injector, element, NAME, value),
    getOptions,
  });
}

export function formGroup(element, translate) {
  if (!is(element, "bpmn:UserTask")) return null;
  return {
    id: "rma-form",
    label: translate("Form"),
    entries: [{ id: "rma-form-file", component: FormFile, isEdited: isSelectEntryEdited }],
  };
}
