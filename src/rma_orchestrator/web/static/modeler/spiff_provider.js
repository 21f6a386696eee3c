// Our properties provider: the groups for the spiffworkflow extensions our processes use, beside
// bpmn-js-properties-panel's own (names, ids, documentation, message, timer).
import { Group } from "@bpmn-io/properties-panel";
import { conditionGroup } from "./props_condition";
import { decisionGroup } from "./props_decision";
import { formGroup } from "./props_form";
import { payloadEntry } from "./props_message";
import { scriptGroup } from "./props_script";
import { slaGroup } from "./props_sla";
import { timerPreviewEntry } from "./props_timer";

function extend(groups, id, entry) {
  const group = entry && groups.find((candidate) => candidate.id === id);
  if (group) group.entries = [...group.entries, entry];
}

export default function SpiffPropertiesProvider(propertiesPanel, translate) {
  this.getGroups = (element) => (groups) => {
    extend(groups, "message", payloadEntry(element));
    extend(groups, "timer", timerPreviewEntry(element));
    const own = [formGroup, conditionGroup, scriptGroup, decisionGroup, slaGroup]
      .map((make) => make(element, translate))
      .filter(Boolean)
      .map((group) => ({ component: Group, ...group }));
    const at = groups.findIndex((group) => group.id === "documentation");
    groups.splice(at < 0 ? groups.length : at, 0, ...own);
    return groups;
  };
  propertiesPanel.registerProvider(400, this); // after the base provider (priority 1000)
}
SpiffPropertiesProvider.$inject = ["propertiesPanel", "translate"];
