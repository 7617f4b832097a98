// Calls to the API this page is served by, and its errors in plain words.
//
// With TPPO_API_KEYS set on the server, /v1/* needs an X-API-Key header: the page asks for the
// key once and keeps it in sessionStorage (gone when the tab closes).

import { language, t } from "./i18n.js";

const KEY = "tppo-api-key";

export class ApiError extends Error {
  /** `kind`: "unauthorized", "network", or "http"; `message` is already in plain words. */
  constructor(kind, message, status = 0) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

export function saveApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

async function call(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch {
    throw new ApiError("network", t("errNetwork"));
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok && body !== null) return body;
  throw new ApiError(response.status === 401 ? "unauthorized" : "http", plainWords(response.status, body), response.status);
}

/** What went wrong, for a trainer: never a status code alone. */
export function plainWords(status, body) {
  const error = (body && body.error) || {};
  const message = String(error.message || "");
  if (status === 401) return t("errKey");
  if (status === 413) return t("errTooBig");
  if (status === 422) {
    if (message.includes("empty") || message.includes("required")) return t("errEmpty");
    if (message.includes("no letters")) return t("errNoLetters");
    const longest = message.match(/too long \([\d,.]+ characters; at most ([\d,.]+)\)/);
    if (longest) {
      const max = Number(longest[1].replace(/[,.]/g, ""));
      return t("errTooLong", { max: max.toLocaleString(language() === "id" ? "id-ID" : "en-US") });
    }
  }
  if (status >= 500) return t("errServer");
  return t("errOther", { message: message || `HTTP ${status}` });
}

/** POST /v1/score: the score, level, flags with spans, top terms and warnings. */
export function score(text, lang) {
  return call("/v1/score", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text, lang }),
  });
}

/** GET /v1/red-flags: every catalogue entry by id (ILO indicator, sources). */
export async function catalogue(lang) {
  const entries = await call(`/v1/red-flags?lang=${encodeURIComponent(lang)}`);
  return new Map(entries.map((entry) => [entry.id, entry]));
}

/** The gallery shipped with the page. */
export async function gallery() {
  const response = await fetch("/web/gallery.json");
  if (!response.ok) throw new ApiError("http", t("errGallery"), response.status);
  return response.json();
}
