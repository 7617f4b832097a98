// Calls to the API this page is served by, and its errors in plain words.
//
// With TPPO_API_KEYS set on the server, /v1/* needs an X-API-Key header: the page asks for the
// key once and keeps it in sessionStorage (gone when the tab closes).

import { language, t } from "./i18n.js";

const KEY = "tppo-api-key";

export class ApiError extends Error {
  /** `kind`: "unauthorized", "network", or "http"; `message` is already in plain words. */
  constructor(kind, message, status = 0, body = null) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.body = body; // the server's JSON error, for callers that word it their own way
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
  throw new ApiError(response.status === 401 ? "unauthorized" : "http", plainWords(response.status, body), response.status, body);
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

/**
 * POST /v1/score/image (multipart, field `file`): the usual score plus `ocr` (text, confidence,
 * width, height, words with boxes) and `spans` (each flag span with the word boxes it covers).
 * Errors come back in plain words about pictures (too large, not a picture, no text found).
 */
export async function scoreImage(file, lang) {
  const form = new FormData();
  form.append("file", file, file.name || "gambar");
  try {
    return await call(`/v1/score/image?lang=${encodeURIComponent(lang)}`, { method: "POST", body: form });
  } catch (error) {
    if (error instanceof ApiError && error.kind === "http") throw new ApiError("http", imageWords(error.status, error.body), error.status, error.body);
    throw error;
  }
}

/** What went wrong with a picture, for a trainer: by the `kind` the server gives (details[0].kind). */
export function imageWords(status, body) {
  const error = (body && body.error) || {};
  const kind = (error.details && error.details[0] && error.details[0].kind) || "";
  const key = {
    empty: "errImageEmpty",
    not_image: "errImageType",
    truncated: "errImageTruncated",
    animated: "errImageAnimated",
    too_large: "errImageTooBig",
    too_many_pixels: "errImagePixels",
    no_text: "errImageNoText",
  }[kind];
  if (key) return t(key);
  if (status === 413) return t("errImageTooBig"); // the body limit, before the picture is read
  if (status === 415) return t("errImageType");
  if (status === 401 || status >= 500) return plainWords(status, body);
  return t("errImageOther", { message: error.message || `HTTP ${status}` });
}

/** GET /v1/feedback/status: whether the server keeps corrections; {feedback: false} when it cannot say. */
export async function serverStatus() {
  try {
    return await call("/v1/feedback/status");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.kind === "unauthorized") throw error;
    return { feedback: false };
  }
}

/**
 * POST /v1/feedback: the room's verdict on a result. `label` is "high_risk" or "legit";
 * answers {id, recorded, duplicate}.
 */
export function sendFeedback({ text, label, modelVersion, score: modelScore }) {
  return call("/v1/feedback", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text, label, model_version: modelVersion, score: modelScore }),
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
