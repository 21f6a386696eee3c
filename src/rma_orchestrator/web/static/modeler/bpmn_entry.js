// The BPMN editor page: bpmn-js's Modeler with the properties panel and our provider for the
// spiffworkflow extensions. Bundled by the set-up step (package.json "build").
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { readConfig, runEditor } from "./editor_page";
import { diagramMarks } from "./findings";
import spiffModdle from "./spiff_moddle";
import SpiffPropertiesProvider from "./spiff_provider";
import { translateModule } from "./translate";

function formatter(language) {
  const format = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });
  return (iso) => format.format(new Date(iso)) + " (Asia/Shanghai)";
}

const config = readConfig();
if (config) {
  const modeler = new BpmnModeler({
    container: document.getElementById("canvas"),
    propertiesPanel: { parent: document.getElementById("properties") },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      { __init__: ["spiffPropertiesProvider"], spiffPropertiesProvider: ["type", SpiffPropertiesProvider] },
      translateModule(config.texts),
      {
        rmaOptions: [
          "value",
          { forms: config.forms, decisions: config.decisions, timerPreviewUrl: config.urls.timer_preview, formatTime: formatter(config.language) },
        ],
      },
    ],
    moddleExtensions: { spiffworkflow: spiffModdle },
  });
  window.rmaModeler = modeler; // for the browser tests and the console
  const editor = {
    diagram: diagramMarks(modeler),
    async open(xml) {
      await modeler.importXML(xml);
      const canvas = modeler.get("canvas");
      canvas.zoom("fit-viewport");
      canvas.scroll({ dx: 100, dy: 0 }); // clear of the palette at the left
    },
    async content() {
      return (await modeler.saveXML({ format: true })).xml;
    },
    onChange(callback) {
      modeler.on("commandStack.changed", callback);
    },
  };
  runEditor(config, editor);
}
