// The demo page: check an ad (paste it, pick it from the gallery, or drop, choose or paste a
// picture of it) and the quiz.

import { ApiError, apiKey, catalogue as fetchCatalogue, gallery as fetchGallery, saveApiKey, score, scoreImage, serverStatus } from "./api.js";
import { boxesFor } from "./boxes.js";
import { feedbackView } from "./feedback.js";
import { applyStrings, language, setLanguage, t } from "./i18n.js";
import { drawBoxes, markRechecked, pictureView } from "./picture.js";
import { el, flagsOf, resultView, statusLine } from "./render.js";

const $ = (id) => document.getElementById(id);

const state = {
  catalogue: new Map(),
  gallery: [],
  checked: null, // the text on screen in "check", re-scored when the language changes
  image: null, // the picture on screen in "check": {file, ocr, text (as corrected)}
  feedback: false, // the server keeps corrections: show "Model salah?"
  shown: 0, // counts checks started in "check": an answer to an older one is not shown
  quiz: { index: 0, guess: null, revealed: false },
  retry: null, // what to run again once an API key is entered
};

// --- errors and the API key ---------------------------------------------------------------

function showError(id, error) {
  const box = $(id);
  box.textContent = error ? error.message : "";
  box.hidden = !error;
}

/** Run `action`; on a missing or wrong key ask for one, on any other error say so in `errorId`. */
async function withApi(action, errorId) {
  showError(errorId, null);
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.kind === "unauthorized") {
      state.retry = () => withApi(action, errorId);
      askForKey();
    }
    showError(errorId, error);
  }
}

/** Show the key form; a key that was refused is forgotten and the form says so. */
function askForKey() {
  const refused = Boolean(apiKey());
  saveApiKey("");
  $("key-form").hidden = false;
  $("key-message").textContent = refused ? t("keyWrong") : t("keyText");
  $("api-key").focus();
}

async function loadCatalogue() {
  try {
    state.catalogue = await fetchCatalogue(language());
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    state.catalogue = new Map(); // explanations still show; the key form or the score call says why
    if (error.kind === "unauthorized") askForKey();
  }
}

// --- check an ad --------------------------------------------------------------------------

function showModel(result) {
  $("model-line").textContent = t("modelLine", { version: result.model_version });
}

async function loadStatus() {
  try {
    state.feedback = Boolean((await serverStatus()).feedback);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    state.feedback = false; // a key is needed first: asked for by the catalogue call
  }
}

/** The result view of a check, with "Model salah?" when the server keeps corrections. */
function checkedView(text, result) {
  const view = resultView(text, result, state.catalogue);
  if (state.feedback) view.querySelector(".verdict").after(feedbackView(text, result));
  $("check-status").textContent = statusLine(result);
  showModel(result);
  return view;
}

async function check(text) {
  const run = ++state.shown;
  state.checked = text;
  state.image = null;
  $("check-status").textContent = t("checking");
  $("check-result").replaceChildren();
  await withApi(async () => {
    const result = await score(text, language());
    if (run !== state.shown) return;
    $("check-result").replaceChildren(checkedView(text, result));
  }, "check-error");
  if (!$("check-error").hidden) $("check-status").textContent = "";
}

// --- check a picture ------------------------------------------------------------------------

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" }); // EXIF turned, as the server does
  } catch {
    return null; // the server says what is wrong with it, or reads what the browser cannot show
  }
}

/** Upload a picture: its outlines on the image, its text editable, and the result. */
async function checkImage(file) {
  const run = ++state.shown;
  state.checked = null;
  state.image = { file, ocr: null, text: null };
  $("check-status").textContent = t("readingImage");
  $("check-result").replaceChildren();
  const decoding = decode(file);
  await withApi(async () => {
    const result = await scoreImage(file, language());
    const bitmap = await decoding;
    if (run !== state.shown) return; // another ad or picture was checked meanwhile
    state.image = { file, ocr: result.ocr, text: result.ocr.text };
    const picture = pictureView({ bitmap, name: file.name, ocr: result.ocr }, recheck);
    if (bitmap) bitmap.close(); // drawn on the canvas: its memory can go
    const view = checkedView(result.ocr.text, result);
    $("check-result").replaceChildren(picture, view);
    drawBoxes(picture, result.spans, flagsOf(result), view);
  }, "check-error");
  if (!$("check-error").hidden) $("check-status").textContent = "";
}

/** "Periksa ulang": score the corrected text; the outlines follow the words still on the picture. */
async function recheck(text) {
  const image = state.image;
  const picture = $("check-result").querySelector(".picture");
  if (!image || !picture) return;
  image.text = text;
  $("check-status").textContent = t("checking");
  await withApi(async () => {
    const result = await score(text, language());
    const view = checkedView(text, result);
    $("check-result").querySelector(".result")?.remove();
    $("check-result").append(view);
    const boxes = boxesFor(text, image.ocr);
    const hits = flagsOf(result);
    const spans = hits.flatMap((hit) => hit.spans.map((span) => ({ flag: hit.id, boxes: boxes(span.start, span.end) })));
    drawBoxes(picture, spans, hits, view);
    markRechecked(picture, text !== image.ocr.text);
  }, "check-error");
}

/** The first file of a paste or drop, if any. */
function firstFile(transfer) {
  return transfer && transfer.files && transfer.files.length ? transfer.files[0] : null;
}

function setupPictures() {
  const input = $("image-file");
  $("choose-image").addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = ""; // the same file chosen again is checked again
    if (file) await showPicture(file);
  });
  document.addEventListener("paste", async (event) => {
    const file = firstFile(event.clipboardData); // a screenshot; pasted text goes where it always went
    if (!file) return;
    event.preventDefault();
    selectTab($("tab-check"));
    await showPicture(file);
  });
  // a picture dropped anywhere on the page is checked (instead of the browser opening it)
  const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    $("image-drop").classList.add("dragging");
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) $("image-drop").classList.remove("dragging"); // left the window
  });
  document.addEventListener("drop", async (event) => {
    const file = firstFile(event.dataTransfer);
    $("image-drop").classList.remove("dragging");
    if (!file) return;
    event.preventDefault();
    selectTab($("tab-check"));
    await showPicture(file);
  });
}

async function showPicture(file) {
  await checkImage(file);
  revealResult($("check-result"));
}

function revealResult(slot) {
  const title = slot.querySelector(".picture-title, .result-title");
  if (!title) return;
  title.focus({ preventScroll: true });
  title.closest(".result, .picture").scrollIntoView({ block: "start" });
}

function snippet(text) {
  const points = Array.from(text.replace(/\s*\n+\s*/g, " · "));
  return points.length > 110 ? points.slice(0, 110).join("") + "…" : points.join("");
}

function renderGallery() {
  const list = $("gallery");
  list.replaceChildren();
  for (const ad of state.gallery) {
    const card = el(
      "button",
      { cls: "card", attrs: { type: "button", "data-id": ad.id } },
      el("span", { cls: "card-title", text: ad.title }),
      el("span", { cls: "card-snippet", text: snippet(ad.text), attrs: { lang: "id" } }),
    );
    card.addEventListener("click", async () => {
      $("ad-text").value = ad.text;
      await check(ad.text);
      revealResult($("check-result"));
    });
    list.append(el("li", {}, card));
  }
}

// --- quiz ---------------------------------------------------------------------------------

function quizAd() {
  return state.gallery[state.quiz.index];
}

function showRound() {
  const ad = quizAd();
  if (!ad) return;
  state.quiz.guess = null;
  state.quiz.revealed = false;
  $("quiz-progress").textContent = t("quizProgress", { n: state.quiz.index + 1, total: state.gallery.length });
  $("quiz-ad").textContent = ad.text;
  $("quiz-ad").dataset.id = ad.id;
  $("quiz-ad").hidden = false;
  $("reveal").disabled = false;
  for (const id of ["guess-safe", "guess-danger"]) $(id).setAttribute("aria-pressed", "false");
  $("quiz-answer").replaceChildren();
  $("quiz-result").replaceChildren();
  showError("quiz-error", null);
}

function guess(choice) {
  state.quiz.guess = state.quiz.guess === choice ? null : choice;
  $("guess-safe").setAttribute("aria-pressed", String(state.quiz.guess === "legit"));
  $("guess-danger").setAttribute("aria-pressed", String(state.quiz.guess === "high_risk"));
}

/** Does the model agree with the truth? "agrees", "unsure" (Waspada) or "disagrees". */
function agreement(label, level) {
  if (level === "medium") return "unsure";
  return (level === "high") === (label === "high_risk") ? "agrees" : "disagrees";
}

function answerBox(ad, result) {
  const truth = ad.label === "high_risk" ? "high" : "legit";
  const box = el("div", { cls: `answer answer-${truth}`, attrs: { "data-truth": ad.label } });
  box.append(el("p", { cls: "truth", text: t(truth === "high" ? "truthHigh" : "truthLegit") }));
  box.append(el("p", { cls: "truth-source", text: t(`source_${ad.source}`) }));
  const choice = state.quiz.guess;
  if (choice) {
    const said = t(choice === "legit" ? "guessSafe" : "guessDanger");
    box.append(el("p", { cls: `guess-line ${choice === ad.label ? "right" : "wrong"}`, text: t(choice === ad.label ? "guessRight" : "guessWrong", { guess: said }) }));
  } else {
    box.append(el("p", { cls: "guess-line", text: t("noGuess") }));
  }
  const agrees = agreement(ad.label, result.level);
  const key = { agrees: "modelAgrees", unsure: "modelUnsure", disagrees: "modelDisagrees" }[agrees];
  box.append(el("p", { cls: `model-verdict ${agrees}`, text: t(key, { level: t(`level_${result.level}`) }) }));
  return box;
}

async function reveal() {
  const ad = quizAd();
  if (!ad) return;
  await withApi(async () => {
    const result = await score(ad.text, language());
    state.quiz.revealed = true;
    $("reveal").disabled = true;
    $("quiz-ad").hidden = true;
    $("quiz-answer").replaceChildren(answerBox(ad, result));
    $("quiz-result").replaceChildren(resultView(ad.text, result, state.catalogue));
    showModel(result);
  }, "quiz-error");
}

function next() {
  if (!state.gallery.length) return;
  state.quiz.index = (state.quiz.index + 1) % state.gallery.length;
  showRound();
  $("quiz-question").focus();
}

// --- tabs, language, presentation mode ----------------------------------------------------

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !on;
  }
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const target = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      selectTab(target);
      target.focus();
    });
  }
}

async function switchLanguage() {
  const lang = language() === "id" ? "en" : "id";
  localStorage.setItem("tppo-lang", lang);
  applyLanguage(lang);
  await loadCatalogue();
  if (state.checked !== null) await check(state.checked); // the result (or its error) in the new language
  else if (state.image) await relabelPicture(state.image);
  if (state.quiz.revealed) await reveal();
  else if (state.gallery.length) $("quiz-progress").textContent = t("quizProgress", { n: state.quiz.index + 1, total: state.gallery.length });
}

/** The picture again in the new language, with the text as the room corrected it. */
async function relabelPicture(image) {
  await checkImage(image.file);
  if (!state.image || !state.image.ocr || image.text === null || image.text === state.image.ocr.text) return;
  $("ocr-text").value = image.text;
  await recheck(image.text);
}

function applyLanguage(lang) {
  setLanguage(lang);
  applyStrings();
  $("lang").lang = lang === "id" ? "en" : "id";
}

function setPresentation(on) {
  document.documentElement.classList.toggle("present", on); // on <html>: every rem grows
  $("present").setAttribute("aria-pressed", String(on));
  localStorage.setItem("tppo-present", on ? "1" : "");
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  applyLanguage(localStorage.getItem("tppo-lang") || "id");
  setPresentation(localStorage.getItem("tppo-present") === "1");
  setupTabs();

  $("lang").addEventListener("click", switchLanguage);
  $("present").addEventListener("click", () => setPresentation(!document.documentElement.classList.contains("present")));
  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyP") {
      event.preventDefault();
      setPresentation(!document.documentElement.classList.contains("present"));
    }
  });

  $("check-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await check($("ad-text").value);
    revealResult($("check-result"));
  });
  $("ad-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("check-form").requestSubmit();
    }
  });
  $("clear").addEventListener("click", () => {
    $("ad-text").value = "";
    state.checked = null;
    state.image = null;
    $("check-result").replaceChildren();
    $("check-status").textContent = "";
    showError("check-error", null);
    $("ad-text").focus();
  });

  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    saveApiKey($("api-key").value.trim());
    $("api-key").value = "";
    $("key-form").hidden = true;
    await loadCatalogue();
    await loadStatus();
    const retry = state.retry;
    state.retry = null;
    if (retry) await retry();
  });

  $("guess-safe").addEventListener("click", () => guess("legit"));
  $("guess-danger").addEventListener("click", () => guess("high_risk"));
  $("reveal").addEventListener("click", reveal);
  $("next").addEventListener("click", next);
  setupPictures();

  try {
    state.gallery = await fetchGallery();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError("check-error", error);
  }
  renderGallery();
  showRound();
  await loadCatalogue();
  await loadStatus();
  document.body.dataset.ready = "true"; // for the browser tests: everything above has run
}

start();
