// The editor page around one draft file: load, Save (If-Match revision; a conflict is shown, never
// overwritten), Validate (saves first, then lists and marks the findings), Deploy… (deploy.js). `editor`
// is the file's kind of editor: {open(text), content(), onChange(callback), diagram}.
import { setupDeploy } from "./deploy";
import { getText, postJson, saveFile } from "./draft_api";
import { NO_DIAGRAM, showFindings } from "./findings";

export function readConfig() {
  const source = document.getElementById("editor-config");
  return source ? JSON.parse(source.textContent) : null;
}

function say(config, key, replacements) {
  const text = config.texts[key] || key;
  return text.replace(/{([^}]+)}/g, (whole, name) => (replacements && name in replacements ? replacements[name] : whole));
}

export async function runEditor(config, editor) {
  const root = document.getElementById("editor");
  const status = document.getElementById("editor-status");
  const conflict = document.getElementById("editor-conflict");
  const findings = document.getElementById("findings");
  const revisionSlot = document.getElementById("draft-revision");
  const saveButton = document.getElementById("editor-save");
  const validateButton = document.getElementById("editor-validate");
  let revision = config.revision;
  let dirty = false;

  function setStatus(key, replacements) {
    status.textContent = say(config, key, replacements);
  }

  function showConflict(body) {
    conflict.querySelector("[data-conflict-text]").textContent = say(config, "conflict", {
      who: body.updated_by || "?",
      revision: body.revision,
    });
    conflict.hidden = false;
    root.dataset.conflict = "true";
  }

  function listFindings(result) {
    return showFindings(findings, result, config.file, editor.diagram || NO_DIAGRAM, config.texts);
  }

  async function save() {
    if (config.read_only) return true;
    let content;
    try {
      content = await editor.content();
    } catch (error) {
      setStatus("The file cannot be saved: {message}", { message: error.message });
      return false;
    }
    setStatus("Saving…");
    const { ok, status: code, body } = await saveFile(config.urls.file, content, revision, config.content_type);
    if (code === 409) {
      showConflict(body);
      setStatus("Not saved.");
      return false;
    }
    if (!ok) {
      const problem = (body.errors || [])[0] || {};
      setStatus("Not saved: {message}", { message: problem.message || "HTTP " + code });
      return false;
    }
    revision = body.revision;
    root.dataset.revision = String(revision);
    revisionSlot.textContent = String(revision);
    dirty = false;
    setStatus("Saved as revision {revision}.", { revision });
    return true;
  }

  async function validate() {
    if (dirty && !(await save())) return;
    setStatus("Validating…");
    const { ok, body } = await postJson(config.urls.validate, {});
    if (!ok) {
      setStatus("Validation failed: {message}", { message: ((body.errors || [])[0] || {}).message || "" });
      return;
    }
    const count = listFindings(body);
    root.dataset.validated = String((Number(root.dataset.validated) || 0) + 1);
    setStatus(count ? "{count} findings." : "No findings.", { count });
  }

  try {
    await editor.open(await getText(config.urls.source));
    root.dataset.ready = "true";
  } catch (error) {
    root.dataset.ready = "failed";
    setStatus("The file could not be opened: {message}", { message: error.message });
    return;
  }
  editor.onChange(() => {
    dirty = true;
    setStatus("Unsaved changes.");
  });
  if (saveButton) saveButton.addEventListener("click", save);
  if (validateButton) validateButton.addEventListener("click", validate);
  setupDeploy(config, {
    say: (key, replacements) => say(config, key, replacements),
    setStatus,
    save,
    dirty: () => dirty,
    revision: () => revision,
    showFindings: listFindings,
    showConflict,
  });
  conflict.querySelector("[data-reload]").addEventListener("click", () => window.location.reload());
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !config.read_only) event.preventDefault();
  });
}
