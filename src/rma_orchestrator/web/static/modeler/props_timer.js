// The due time a timer expression gives, computed by the server's engine code (working days included),
// shown under bpmn-js-properties-panel's own timer type and value entries.
import { h } from "@bpmn-io/properties-panel/preact";
import { useEffect, useState } from "@bpmn-io/properties-panel/preact/hooks";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import { postJson } from "./draft_api";

const KINDS = ["timeDuration", "timeDate", "timeCycle"];

export function timerDefinition(element) {
  const definitions = getBusinessObject(element).get("eventDefinitions") || [];
  return definitions.find((definition) => is(definition, "bpmn:TimerEventDefinition"));
}

function timerOf(element) {
  const definition = timerDefinition(element);
  const kind = definition && KINDS.find((name) => definition.get(name));
  return kind ? { kind, expression: definition.get(kind).get("body") || "" } : null;
}

function TimerPreview({ element, id }) {
  const translate = useService("translate");
  const options = useService("rmaOptions");
  const timer = timerOf(element);
  const [shown, setShown] = useState({ state: "pending", text: "" });
  const kind = timer ? timer.kind : "";
  const expression = timer ? timer.expression : "";
  useEffect(() => {
    if (!kind) return undefined;
    let current = true;
    setShown({ state: "pending", text: translate("Computing the due time…") });
    postJson(options.timerPreviewUrl, { kind, expression })
      .then(({ ok, body }) => {
        if (!current) return;
        if (ok) setShown({ state: "ok", text: translate("Due at {when} if it started now", { when: options.formatTime(body.due_at) }) });
        else setShown({ state: "error", text: ((body.errors || [])[0] || {}).message || translate("The expression could not be evaluated.") });
      })
      .catch(() => current && setShown({ state: "error", text: translate("The due time could not be computed.") }));
    return () => { current = false; };
  }, [kind, expression]);
  if (!kind) return null;
  return h("div", { class: "bio-properties-panel-entry rma-timer-preview", "data-entry-id": id, "data-state": shown.state, "aria-live": "polite" },
    h("div", { class: "bio-properties-panel-label" }, translate("Due-time preview")),
    h("p", { class: "rma-timer-preview-text" }, shown.text));
}

export function timerPreviewEntry(element) {
  return timerOf(element) ? { id: "rma-timer-preview", component: TimerPreview } : null;
}
