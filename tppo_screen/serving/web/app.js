// The demo page: check an ad (paste or pick from the gallery) and the quiz.

import { ApiError, apiKey, catalogue as fetchCatalogue, gallery as fetchGallery, saveApiKey, score } from "./api.js";
import { applyStrings, language, setLanguage, t } from "./i18n.js";
import { el, resultView, statusLine } from "./render.js";

const $ = (id) => document.getElementById(id);

const state = {
  catalogue: new Map(),
  gallery: [],
  checked: null, // the text on screen in "check", re-scored when the language changes
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

async function check(text) {
  state.checked = text;
  $("check-status").textContent = t("checking");
  $("check-result").replaceChildren();
  await withApi(async () => {
    const result = await score(text, language());
    const view = resultView(text, result, state.catalogue);
    $("check-result").replaceChildren(view);
    $("check-status").textContent = statusLine(result);
    showModel(result);
  }, "check-error");
  if (!$("check-error").hidden) $("check-status").textContent = "";
}

function revealResult(slot) {
  const title = slot.querySelector(".result-title");
  if (!title) return;
  title.focus({ preventScroll: true });
  title.closest(".result").scrollIntoView({ block: "start" });
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
  if (state.quiz.revealed) await reveal();
  else if (state.gallery.length) $("quiz-progress").textContent = t("quizProgress", { n: state.quiz.index + 1, total: state.gallery.length });
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
    const retry = state.retry;
    state.retry = null;
    if (retry) await retry();
  });

  $("guess-safe").addEventListener("click", () => guess("legit"));
  $("guess-danger").addEventListener("click", () => guess("high_risk"));
  $("reveal").addEventListener("click", reveal);
  $("next").addEventListener("click", next);

  try {
    state.gallery = await fetchGallery();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError("check-error", error);
  }
  renderGallery();
  showRound();
  await loadCatalogue();
  document.body.dataset.ready = "true"; // for the browser tests: everything above has run
}

start();
