// Deploy… on the draft editor: a change note (required), unsaved changes saved first, then
// POST /drafts/{id}/deployments {note, revision}. It answers the versions made (each linked to its
// comparison with the version before and to moving running cases there), the findings that refuse
// it (422, listed and marked as Validate does), a conflict (409, as Save shows it) or a field error.
import { postJson } from "./draft_api";

function link(href, text, name) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.textContent = text;
  anchor.dataset.link = name;
  return anchor;
}

function fill(template, values) {
  return template.replace(/{([^}]+)}/g, (whole, name) => (name in values ? encodeURIComponent(values[name]) : whole));
}

// `editor`: {say(key, replacements), setStatus(key, replacements), save(), dirty(), revision(),
// showFindings(result), showConflict(body)} from the editor page.
export function setupDeploy(config, editor) {
  const open = document.getElementById("editor-deploy");
  const panel = document.getElementById("deploy-panel");
  if (!open || !panel) return;
  const form = document.getElementById("deploy-form");
  const note = document.getElementById("deploy-note");
  const noteError = document.getElementById("deploy-note-error");
  const result = document.getElementById("deploy-result");
  const submit = document.getElementById("deploy-submit");

  function fieldError(text) {
    noteError.textContent = text;
    noteError.hidden = !text;
    if (text) note.setAttribute("aria-invalid", "true");
    else note.removeAttribute("aria-invalid");
  }

  function showVersions(body) {
    result.textContent = "";
    const made = (body.processes || []).filter((process) => process.created);
    const heading = document.createElement("p");
    heading.id = "deploy-summary";
    heading.textContent = made.length
      ? editor.say("Deployed: {versions}", { versions: made.map((p) => p.process_key + " v" + p.version).join(", ") })
      : editor.say("Nothing new: every file is already deployed as it is.");
    result.append(heading);
    const list = document.createElement("ul");
    list.id = "deploy-versions";
    for (const process of made) {
      const item = document.createElement("li");
      item.dataset.process = process.process_key;
      item.dataset.version = String(process.version);
      const name = document.createElement("strong");
      name.textContent = process.process_key + " v" + process.version;
      item.append(name);
      if (process.version > 1) {
        const pair = { key: process.process_key, from: process.version - 1, to: process.version };
        item.append(" · ", link(fill(config.urls.compare, pair), editor.say("Compare with v{version}", { version: pair.from }), "compare"));
        item.append(" · ", link(fill(config.urls.migrate, pair), editor.say("Move running cases from v{from} to v{to}", pair), "migrate"));
      }
      list.append(item);
    }
    result.append(list);
    result.hidden = false;
    panel.dataset.deployed = made.length ? "created" : "unchanged";
  }

  async function deploy(event) {
    event.preventDefault();
    const text = note.value.trim();
    result.hidden = true;
    if (!text) {
      fieldError(editor.say("Write a change note: what changed and why. It goes into the audit trail with your name."));
      note.focus();
      return;
    }
    fieldError("");
    submit.disabled = true;
    try {
      if (editor.dirty() && !(await editor.save())) return;
      editor.setStatus("Deploying…");
      const { ok, status, body } = await postJson(config.urls.deploy, { note: text, revision: editor.revision() });
      if (ok) {
        showVersions(body);
        editor.showFindings({ errors: [], warnings: [] });
        editor.setStatus("Deployed.");
      } else if (status === 422) {
        const count = editor.showFindings({ errors: body.errors || [], warnings: [] });
        panel.dataset.deployed = "refused";
        editor.setStatus("Not deployed: {count} findings.", { count });
      } else if (status === 409) {
        editor.showConflict(body);
        editor.setStatus("Not deployed.");
      } else {
        const problem = (body.errors || [])[0] || {};
        if (problem.field === "note") fieldError(problem.message);
        editor.setStatus("Not deployed: {message}", { message: problem.message || "HTTP " + status });
      }
    } finally {
      submit.disabled = false;
    }
  }

  open.addEventListener("click", () => {
    panel.hidden = false;
    open.setAttribute("aria-expanded", "true");
    note.focus();
  });
  document.getElementById("deploy-cancel").addEventListener("click", () => {
    panel.hidden = true;
    open.setAttribute("aria-expanded", "false");
  });
  form.addEventListener("submit", deploy);
}
