// The DMN editor page: dmn-js's Modeler (decision tables, literal expressions, the DRD).
import DmnModeler from "dmn-js/lib/Modeler";
import { readConfig, runEditor } from "./editor_page";

const config = readConfig();
if (config) {
  const modeler = new DmnModeler({ container: document.getElementById("canvas") });
  window.rmaModeler = modeler;
  let listener = () => {};
  modeler.on("views.changed", () => {
    const viewer = modeler.getActiveViewer();
    if (viewer) viewer.get("eventBus").on("commandStack.changed", () => listener());
  });
  runEditor(config, {
    async open(xml) {
      await modeler.importXML(xml);
    },
    async content() {
      return (await modeler.saveXML({ format: true })).xml;
    },
    onChange(callback) {
      listener = callback;
    },
  });
}
