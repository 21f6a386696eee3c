// The draft's scenarios page: "Run all" runs the scenario files one request each (progress as they
// finish), and the recorder replays its steps from the start on every change (the server keeps nothing).
(function () {
  "use strict";
  const root = document.getElementById("draft-scenarios");
  if (!root) return;
  const texts = JSON.parse(document.getElementById("scenario-texts").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  async function post(url, body) {
    const answer = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const data = await answer.json().catch(() => ({}));
    return { ok: answer.ok, status: answer.status, data: data };
  }

  function errors(data) {
    const items = (data && data.errors) || [];
    return items.map((e) => [e.field, e.file, e.line, e.message].filter((x) => x !== undefined && x !== null && x !== "").join(": ")).join("; ");
  }

  function text(tag, content, cls) {
    const node = document.createElement(tag);
    node.textContent = content;
    if (cls) node.className = cls;
    return node;
  }

  // ---- Run all ----
  const runAll = document.getElementById("run-all");
  if (runAll) {
    runAll.addEventListener("click", async () => {
      runAll.disabled = true;
      const rows = Array.from(root.querySelectorAll("tr[data-file]")).filter((r) => !r.dataset.broken);
      const progress = document.getElementById("run-progress");
      let done = 0;
      for (const row of rows) {
        const cell = row.querySelector(".result");
        cell.textContent = texts.running;
        row.dataset.state = "running";
        const answer = await post(root.dataset.runsUrl, { file: row.dataset.file });
        cell.textContent = "";
        if (!answer.ok) {
          cell.appendChild(text("span", `${texts.error}: ${errors(answer.data)}`, "failed"));
          row.dataset.state = "failed";
        } else {
          for (const result of answer.data.results) {
            const line = result.passed
              ? text("div", `${texts.passed}: ${result.name}`, "passed")
              : text("div", `${texts.failed}: ${result.name} — ${result.message}`, "failed");
            cell.appendChild(line);
          }
          row.dataset.state = answer.data.failed ? "failed" : "passed";
        }
        done += 1;
        progress.textContent = texts.progress.replace("{done}", done).replace("{total}", rows.length);
      }
      runAll.disabled = false;
    });
  }

  // ---- Recorder ----
  const form = document.getElementById("recorder");
  form.addEventListener("submit", (event) => event.preventDefault()); // the buttons act, never a submit
  const status = document.getElementById("recorder-status");
  const stateBox = document.getElementById("recorder-state");
  let steps = [];
  let clock = null;
  let lastExpect = null;

  function json(name) {
    try {
      return JSON.parse(form.elements[name].value || "{}");
    } catch (e) {
      status.textContent = `${texts.bad_json}: ${name}`;
      return undefined;
    }
  }

  function show(result) {
    document.getElementById("recorder-yaml").textContent = result.yaml;
    stateBox.textContent = "";
    lastExpect = result.expect;
    const state = result.state;
    if (!state) return;
    const list = document.createElement("ul");
    list.appendChild(text("li", `${texts.status}: ${state.status}${state.outcome ? " (" + state.outcome + ")" : ""}`));
    list.appendChild(text("li", `${texts.now}: ${state.now}`));
    list.appendChild(text("li", `${texts.tasks}: ${state.tasks.map((t) => t.element_id + " (" + t.name + ")").join(", ") || texts.none}`));
    list.appendChild(text("li", `${texts.timers}: ${state.timers.map((t) => t.element_id + " @ " + t.due_at).join(", ") || texts.none}`));
    stateBox.appendChild(list);
    const select = form.elements.task;
    select.textContent = "";
    for (const task of state.tasks) {
      const option = text("option", `${task.element_id} — ${task.name}`);
      option.value = task.element_id;
      select.appendChild(option);
    }
  }

  async function replay(candidate) {
    status.textContent = texts.running;
    const answer = await post(root.dataset.replaysUrl, { clock: clock, steps: candidate });
    if (!answer.ok) {
      status.textContent = `${texts.error}: ${errors(answer.data)}`;
      return;
    }
    if (!answer.data.passed) {
      status.textContent = `${texts.step_failed}: ${answer.data.message}`;
      return;
    }
    steps = candidate;
    status.textContent = "";
    show(answer.data);
    document.getElementById("recorder-steps").hidden = false;
    document.getElementById("recorder-save").hidden = false;
  }

  form.addEventListener("click", async (event) => {
    const action = event.target.dataset && event.target.dataset.action;
    if (!action) return;
    let step = null;
    if (action === "start") {
      const data = json("start");
      if (data === undefined) return;
      clock = form.elements.clock.value.trim() || null;
      return replay([{ start: data }]);
    }
    if (action === "complete") {
      const data = json("data");
      if (data === undefined) return;
      step = { complete: form.elements.task.value, data: data };
    } else if (action === "clock") {
      step = { clock: form.elements.duration.value.trim() };
    } else if (action === "message") {
      const payload = json("payload");
      if (payload === undefined) return;
      step = { message: form.elements.message.value.trim(), payload: payload };
    } else if (action === "expect" && lastExpect) {
      step = { expect: lastExpect };
    } else if (action === "undo" && steps.length > 1) {
      return replay(steps.slice(0, -1));
    } else if (action === "save") {
      const answer = await post(root.dataset.saveUrl, {
        file: form.elements.file.value.trim(),
        name: form.elements.name.value.trim(),
        overwrite: form.elements.overwrite.checked,
        clock: clock,
        steps: steps,
      });
      if (!answer.ok) {
        status.textContent = `${texts.error}: ${errors(answer.data)}`;
        return;
      }
      status.textContent = `${texts.saved} ${answer.data.file}`;
      const link = document.getElementById("recorder-download");
      link.href = root.dataset.downloadUrl.replace("FILE", encodeURIComponent(answer.data.file));
      link.hidden = false;
      return;
    }
    if (step) return replay([...steps, step]);
  });
})();
