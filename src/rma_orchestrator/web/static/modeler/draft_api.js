// The JSON API with the page's session cookie: writes carry the page's CSRF token.
function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.content : "";
}

async function answer(response) {
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, status: response.status, body };
}

export async function postJson(url, data) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(data),
  });
  return answer(response);
}

export async function postText(url, text, type) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": type, "X-CSRFToken": csrfToken() },
    body: text,
  });
  return answer(response);
}

export async function getText(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error("HTTP " + response.status);
  return response.text();
}

// PUT a draft file based on `revision`: 200 the draft, 409 {errors, revision, updated_by} if someone saved since.
export async function saveFile(url, content, revision, type) {
  const response = await fetch(url, {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": type, Accept: "application/json", "If-Match": String(revision), "X-CSRFToken": csrfToken() },
    body: content,
  });
  return answer(response);
}
