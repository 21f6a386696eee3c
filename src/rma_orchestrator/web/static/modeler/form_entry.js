// The form (JSON Schema) editor page: a plain text editor, with the form as staff would see it rendered
// by the server (POST to the preview endpoint) a moment after each change.
import { postText } from "./draft_api";
import { readConfig, runEditor } from "./editor_page";

const config = readConfig();
if (config) {
  const text = document.getElementById("form-text");
  const preview = document.getElementById("form-preview");
  let timer = null;
  let asked = 0;

  async function render() {
    const turn = ++asked;
    const { body } = await postText(config.urls.form_preview, text.value, "application/json");
    if (turn !== asked) return; // a newer change is being rendered
    preview.innerHTML = body; // the server's escaped HTML (autoescaped templates), never the text itself
    preview.dataset.rendered = String(turn);
  }

  runEditor(config, {
    async open(content) {
      text.value = content;
      text.readOnly = Boolean(config.read_only);
      await render();
    },
    async content() {
      return text.value;
    },
    onChange(callback) {
      text.addEventListener("input", () => {
        callback();
        window.clearTimeout(timer);
        timer = window.setTimeout(render, 300);
      });
    },
  });
}
