// "Model salah?": the room disagrees with a result and records its verdict with one click.
//
// Two buttons, "Sebenarnya berisiko" (label high_risk) and "Sebenarnya aman" (legit); the one
// saying the opposite of the model comes first and is the primary button, so the usual
// correction is one click. POST /v1/feedback keeps the text, the label, the model's version and
// score; the page shows the section only when GET /v1/status says the server has a store.

import { ApiError, sendFeedback } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./render.js";

const CHOICES = [
  { label: "high_risk", key: "feedbackRisky", icon: "▲" },
  { label: "legit", key: "feedbackSafe", icon: "✓" },
];

/** The label that contradicts the model: "legit" when it warned (Waspada or higher), else "high_risk". */
export function opposite(level) {
  return level === "low" ? "high_risk" : "legit";
}

async function record(section, choice, text, result) {
  const buttons = [...section.querySelectorAll("button")];
  const status = section.querySelector(".feedback-status");
  for (const button of buttons) button.disabled = true;
  status.classList.remove("failed");
  status.textContent = t("feedbackSending");
  try {
    const answer = await sendFeedback({ text, label: choice.label, modelVersion: result.model_version, score: result.score });
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.label === choice.label));
    section.dataset.recorded = choice.label;
    section.dataset.id = String(answer.id ?? "");
    status.textContent = t(answer.duplicate ? "feedbackDuplicate" : "feedbackDone", { label: t(choice.key) });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    for (const button of buttons) button.disabled = false;
    status.classList.add("failed");
    status.textContent = t("feedbackError", { message: error.message });
  }
}

/** The "Model salah?" section for `text` scored as `result`. */
export function feedbackView(text, result) {
  const section = el("section", { cls: "feedback", attrs: { "aria-label": t("feedbackTitle") } });
  const wanted = opposite(result.level);
  const choices = [...CHOICES].sort((a, b) => Number(b.label === wanted) - Number(a.label === wanted));
  const row = el("div", { cls: "row" }, el("strong", { cls: "feedback-title", text: t("feedbackTitle") }));
  for (const choice of choices) {
    const button = el(
      "button",
      { cls: `feedback-${choice.label === "legit" ? "safe" : "risky"}${choice.label === wanted ? " primary" : ""}`, attrs: { type: "button", "aria-pressed": "false", "data-label": choice.label } },
      el("span", { text: choice.icon, attrs: { "aria-hidden": "true" } }),
      ` ${t(choice.key)}`,
    );
    button.addEventListener("click", () => record(section, choice, text, result));
    row.append(button);
  }
  section.append(row, el("p", { cls: "feedback-status", attrs: { role: "status", "aria-live": "polite" } }), el("p", { cls: "hint", text: t("feedbackHint") }));
  return section;
}
