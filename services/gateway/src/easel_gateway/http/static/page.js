// Easel's page: a key kept in this browser, a prompt, and a card that follows the job's
// Server-Sent Events until it ends. The job's id is in the URL (?job=…), so a reload
// follows the same job. The stream is read with fetch, not EventSource, because only
// fetch can send the Authorization header. Its texts come from the gateway's catalog, in
// the browser's language (/page/messages.json), with `{name}` for what the page fills in.
"use strict";

const KEY = "easel.key";
const ENDED = ["succeeded", "failed", "cancelled"];
// How far along the bar each state is.
const STAGES = {
  queued: 5,
  enhancing: 15,
  waiting: 30,
  generating: 60,
  succeeded: 100,
  failed: 100,
  cancelled: 100,
};
const RECONNECT_MS = 1000;

const $ = (id) => document.getElementById(id);
let texts = {}; // message id -> text in the page's language

function t(id, slots = {}) {
  const text = texts?.[id] ?? id;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in slots ? String(slots[name]) : whole));
}

// The page in the first of the browser's languages that Easel speaks.
async function loadTexts() {
  const wanted = (navigator.languages || [navigator.language]).join(",");
  const response = await fetch(`/page/messages.json?lang=${encodeURIComponent(wanted)}`);
  if (!response.ok) return; // the HTML's own English stays; the script's texts are ids
  const page = await response.json();
  texts = page.messages ?? {};
  document.documentElement.lang = page.language;
  document.documentElement.dir = page.dir;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

function errorText(code) {
  const id = `page-error-${code.replaceAll("_", "-")}`;
  return texts?.[id] ? t(id) : t("page-error", { code });
}
let following = null; // the AbortController of the job the card follows
let imageUrl = null; // the object URL shown, revoked when replaced

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${localStorage.getItem(KEY) || ""}` };
  const response = await fetch(path, { ...options, headers: { ...headers, ...options.headers } });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error.message;
    } catch {
      // not OpenAI's error body: the status line says enough
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function randomKey() {
  // crypto.randomUUID needs a secure context; a LAN address over http is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function start() {
  if (!localStorage.getItem(KEY)) {
    $("key-form").hidden = false;
    $("app").hidden = true;
    return;
  }
  try {
    const models = (await (await api("/v1/models")).json()).data;
    $("model").replaceChildren(
      ...models.map((model) => new Option(model.id, model.id)),
    );
  } catch (error) {
    if (error.status === 401) {
      localStorage.removeItem(KEY);
      $("key-form").hidden = false;
      $("app").hidden = true;
    }
    showError(error.status === 401 ? t("page-key-refused") : error.message);
    return;
  }
  $("key-form").hidden = true;
  $("app").hidden = false;
  const job = new URLSearchParams(location.search).get("job");
  if (job) follow(job);
}

async function generate(event) {
  event.preventDefault();
  showError("");
  $("generate").disabled = true;
  try {
    const response = await api("/v1/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": randomKey() },
      body: JSON.stringify({ model: $("model").value, prompt: $("prompt").value }),
    });
    const { id } = await response.json();
    history.pushState({ job: id }, "", `?job=${encodeURIComponent(id)}`);
    follow(id);
  } catch (error) {
    showError(error.message);
  } finally {
    $("generate").disabled = false;
  }
}

function follow(id) {
  if (following) following.abort();
  following = new AbortController();
  const { signal } = following;
  $("card").hidden = false;
  $("card").dataset.job = id;
  $("image").hidden = true;
  $("revised").hidden = true;
  $("cancel").hidden = true;
  $("stage").textContent = t("page-connecting");
  stream(id, signal).catch((error) => {
    if (!signal.aborted) showError(error.message);
  });
}

// Reads the job's events until a final view; reconnects from the last id when the
// stream breaks before that.
async function stream(id, signal) {
  let last = "";
  let state = null;
  for (;;) {
    try {
      const headers = last ? { "Last-Event-ID": last } : {};
      const response = await api(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers, signal });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.data === undefined) continue; // a keepalive comment
          if (event.id) last = event.id;
          const view = JSON.parse(event.data);
          state = view.state;
          render(view);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error.status === 404) throw new ApiError(404, t("page-no-such-job"));
      if (error.status === 401) throw error;
      // the connection broke: try again from the last event
    }
    if (signal.aborted || ENDED.includes(state)) return;
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

function parse(block) {
  const event = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    else if (field === "id") event.id = value;
  }
  return event;
}

function render(view) {
  const percent = STAGES[view.state] || 0;
  const label = view.state in STAGES ? t(`page-stage-${view.state}`) : view.state;
  const rendering = view.state === "generating" && view.progress != null;
  $("card").dataset.state = view.state;
  $("stage").textContent = rendering ? `${label} ${view.progress}%` : label;
  $("model-name").textContent = view.model;
  // The render's own progress fills the bar's stretch between "generating" and done.
  $("bar").value = rendering ? percent + ((100 - percent) * view.progress) / 100 : percent;
  const where = [];
  if (view.position) {
    where.push(view.position === 1 ? t("page-next-in-line") : t("page-position", { position: view.position }));
  }
  if (view.estimate_seconds != null) {
    where.push(t("page-ready-in", { seconds: Math.max(1, Math.round(view.estimate_seconds)) }));
  }
  if (view.state === "failed") where.push(errorText(view.error));
  $("where").textContent = where.join(" · ");
  $("prompt-shown").textContent = view.prompt;
  const revised = view.revised_prompt && view.revised_prompt !== view.prompt;
  $("revised").textContent = revised ? t("page-model-saw", { prompt: view.revised_prompt }) : "";
  $("revised").hidden = !revised;
  $("cancel").hidden = ENDED.includes(view.state);
  if (view.state === "succeeded" && $("image").hidden) showImage(view.id);
}

async function showImage(id) {
  try {
    const blob = await (await api(`/v1/jobs/${encodeURIComponent(id)}/image`)).blob();
    if ($("card").dataset.job !== id) return; // another job was started meanwhile
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = URL.createObjectURL(blob);
    $("image").src = imageUrl;
    $("image").alt = $("prompt-shown").textContent;
    $("image").hidden = false;
  } catch (error) {
    showError(error.status === 404 ? t("page-image-expired") : error.message);
  }
}

async function cancel() {
  const id = $("card").dataset.job;
  $("cancel").disabled = true;
  try {
    render(await (await api(`/v1/jobs/${encodeURIComponent(id)}`, { method: "DELETE" })).json());
  } catch (error) {
    showError(error.message);
  } finally {
    $("cancel").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    await loadTexts();
  } catch {
    // the page's English, as written in its HTML, and message ids where the script speaks
  }
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    showError("");
    start();
  });
  $("forget").addEventListener("click", () => {
    localStorage.removeItem(KEY);
    if (following) following.abort();
    $("card").hidden = true;
    history.pushState({}, "", location.pathname);
    start();
  });
  $("prompt-form").addEventListener("submit", generate);
  $("cancel").addEventListener("click", cancel);
  window.addEventListener("popstate", () => {
    const job = new URLSearchParams(location.search).get("job");
    if (job) follow(job);
    else if (following) {
      following.abort();
      $("card").hidden = true;
    }
  });
  start();
});
