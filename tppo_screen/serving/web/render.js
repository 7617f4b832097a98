// The result of one score: gauge and level in words, the ad with its highlights, the
// explanation panel, the signs found, what to check. Built with DOM calls only: the ad's text
// is never parsed as HTML.

import { gauge } from "./gauge.js";
import { bySeverity, pieces, severityOf } from "./highlight.js";
import { iloName, percent, t } from "./i18n.js";

const ICONS = { high: "▲", medium: "◆", low: "●", green: "✓" };

/** document.createElement with a class, text and attributes. */
export function el(name, { cls, text, attrs } = {}, ...children) {
  const node = document.createElement(name);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Every flag of a response, tagged red or green. */
export function flagsOf(result) {
  return [
    ...result.red_flags.map((hit) => ({ ...hit, kind: "red" })),
    ...result.green_flags.map((hit) => ({ ...hit, kind: "green" })),
  ];
}

function severityKey(hit) {
  return hit.kind === "green" ? "green" : hit.severity;
}

function hostname(url) {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return url;
  }
}

/** The legend: one sample per kind of highlight, drawn as the highlights are. */
export function legend() {
  const list = el("ul", { cls: "legend", attrs: { "aria-label": t("legendTitle") } });
  for (const key of ["high", "medium", "low", "green"]) {
    list.append(el("li", {}, el("span", { cls: `hl sev-${key}`, text: t(`sev_${key}`) })));
  }
  return list;
}

/** What to check before applying: the same list for every ad. */
export function checklist() {
  const section = el("section", { cls: "checklist" }, el("h3", { text: t("checklistTitle") }));
  const list = el("ul");
  for (const [lead, host, rest] of t("checklist")) {
    const item = el("li", {}, el("strong", { text: lead }));
    if (host) {
      item.append(" (", el("a", { text: host, attrs: { href: `https://${host}`, target: "_blank", rel: "noopener noreferrer" } }), ")");
    }
    item.append(rest);
    list.append(item);
  }
  section.append(list);
  return section;
}

function explanation(hit, entry) {
  const key = severityKey(hit);
  const block = el("section", { cls: `explain-item sev-${key}` });
  block.append(
    el("h4", {}, el("span", { cls: `badge sev-${key}`, text: `${ICONS[key]} ${t(`sev_${key}`)}` }), " ", el("span", { cls: "explain-label", text: hit.label })),
  );
  const words = [...new Set(hit.spans.map((span) => span.text))];
  if (words.length) block.append(el("p", { cls: "words" }, el("strong", { text: `${t("words")}: ` }), words.map((w) => `«${w}»`).join(", ")));
  block.append(el("p", { cls: "explain-text", text: hit.explanation }));
  if (entry) {
    block.append(el("p", { cls: "ilo" }, el("strong", { text: `${t("ilo")}: ` }), iloName(entry.ilo_indicator)));
    if (entry.sources.length) {
      const sources = el("ul", { cls: "sources" });
      for (const url of entry.sources) {
        sources.append(el("li", {}, el("a", { text: hostname(url), attrs: { href: url, target: "_blank", rel: "noopener noreferrer", title: url } })));
      }
      block.append(el("p", { cls: "sources-title" }, el("strong", { text: `${t("sources")}:` })), sources);
    }
  }
  return block;
}

/**
 * The whole result view for `text` and the API's `result`. `catalogue` (Map id → entry from
 * /v1/red-flags) adds ILO indicators and sources to the explanations; it may be empty.
 */
export function resultView(text, result, catalogue) {
  const level = result.level;
  const score = percent(result.score);
  const hits = flagsOf(result);
  const article = el("article", { cls: `result level-${level}`, attrs: { "data-level": level } });
  article.append(el("h2", { cls: "result-title", text: t("resultTitle"), attrs: { tabindex: "-1" } }));

  const levelWord = t(`level_${level}`);
  const verdict = el("div", { cls: "verdict" });
  verdict.append(
    gauge(result.score, level, result.thresholds, t("gaugeLabel", { score, level: levelWord })),
    el(
      "div",
      { cls: "verdict-words" },
      el("p", { cls: `level-word level-${level}`, text: levelWord }),
      el("p", { cls: "score-line", text: t("scoreLine", { score }) }),
      el("p", { cls: "level-text", text: t(`levelText_${level}`) }),
      el("p", { cls: "thresholds-line", text: t("thresholdsLine", { medium: percent(result.thresholds.medium), high: percent(result.thresholds.high) }) }),
    ),
  );
  article.append(verdict);

  if (result.reasons && (result.reasons.raised.length || result.reasons.lowered.length)) {
    const reasons = el("div", { cls: "reasons" });
    for (const [key, lines, cls] of [["reasonsRaised", result.reasons.raised, "raised"], ["reasonsLowered", result.reasons.lowered, "lowered"]]) {
      if (!lines.length) continue;
      const list = el("ul");
      for (const line of lines) list.append(el("li", { text: line }));
      reasons.append(el("div", { cls: `reasons-${cls}` }, el("strong", { text: `${t(key)}:` }), list));
    }
    article.append(reasons);
  }

  if (result.warnings.length) {
    const warnings = el("div", { cls: "warnings", attrs: { role: "note" } }, el("strong", { text: `${t("warningsTitle")}: ` }));
    const list = el("ul");
    for (const warning of result.warnings) list.append(el("li", { text: warning }));
    warnings.append(list);
    article.append(warnings);
  }

  const body = el("div", { cls: "result-body" });
  const adSection = el("section", { cls: "ad" }, el("h3", { text: t("adHeading") }));
  if (hits.length) adSection.append(el("p", { cls: "hint", text: t("adHint") }), legend());
  const adText = el("div", { cls: "ad-text", attrs: { lang: "id" } });
  const panel = el("section", { cls: "explain", attrs: { "aria-live": "polite", "aria-label": t("explainTitle"), tabindex: "-1" } });
  panel.id = `explain-${Math.random().toString(36).slice(2, 9)}`;
  panel.hidden = true;

  const marks = [];
  for (const piece of pieces(text, hits)) {
    if (!piece.hits) {
      adText.append(piece.text);
      continue;
    }
    const key = severityOf(piece.hits);
    const mark = el("mark", {
      cls: `hl sev-${key}`,
      text: piece.text,
      attrs: {
        tabindex: "0",
        role: "button",
        "aria-expanded": "false",
        "aria-controls": panel.id,
        title: piece.hits.map((hit) => hit.label).join(" · "),
        "data-flags": piece.hits.map((hit) => hit.id).join(" "),
        "data-start": String(piece.start),
        "data-end": String(piece.end),
      },
    });
    mark.hits = piece.hits;
    marks.push(mark);
    adText.append(mark);
  }
  adSection.append(adText);

  let opener = null;
  const close = () => {
    panel.hidden = true;
    for (const mark of marks) {
      mark.setAttribute("aria-expanded", "false");
      mark.classList.remove("active");
    }
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  };
  const open = (shown, trigger) => {
    opener = trigger;
    panel.replaceChildren();
    const closeButton = el("button", { cls: "close", text: `✕ ${t("close")}`, attrs: { type: "button" } });
    closeButton.addEventListener("click", close);
    panel.append(el("div", { cls: "explain-head" }, el("h3", { text: t("explainTitle") }), closeButton));
    for (const hit of bySeverity(shown)) panel.append(explanation(hit, catalogue.get(hit.id)));
    panel.hidden = false;
    const ids = new Set(shown.map((hit) => hit.id));
    for (const mark of marks) {
      const on = mark.hits.some((hit) => ids.has(hit.id));
      mark.classList.toggle("active", on);
      mark.setAttribute("aria-expanded", String(on && mark === trigger));
    }
    panel.scrollIntoView({ block: "nearest" });
  };
  for (const mark of marks) {
    mark.addEventListener("click", () => open(mark.hits, mark));
    mark.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open(mark.hits, mark);
      }
    });
  }
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  article.explain = open; // (hits, trigger): the outlines on a picture open the same panel
  article.marks = marks; // ... and join the highlights, shown active with them
  article.closeExplain = () => {
    if (!panel.hidden) close();
  };
  adText.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) close();
  });

  const side = el("div", { cls: "side" }, panel);
  const found = el("section", { cls: "found" }, el("h3", { text: t("foundTitle") }));
  if (!hits.length) found.append(el("p", { text: t("nothingFound") }));
  for (const [kind, title] of [["red", "foundRed"], ["green", "foundGreen"]]) {
    const ofKind = bySeverity(hits.filter((hit) => hit.kind === kind));
    if (!ofKind.length) continue;
    found.append(el("h4", { text: t(title, { count: ofKind.length }) }));
    const list = el("ul", { cls: "flag-list" });
    for (const hit of ofKind) {
      const key = severityKey(hit);
      const button = el("button", { cls: `flag sev-${key}`, attrs: { type: "button", "data-flag": hit.id, "aria-controls": panel.id } });
      button.append(el("span", { cls: "icon", text: ICONS[key], attrs: { "aria-hidden": "true" } }), " ", hit.label);
      button.addEventListener("click", () => open([hit], button));
      list.append(el("li", {}, button));
    }
    found.append(list);
  }
  side.append(found, checklist());
  body.append(adSection, side);
  article.append(body);

  if (result.top_terms.length) {
    const terms = el("details", { cls: "terms" }, el("summary", { text: t("termsTitle") }), el("p", { cls: "hint", text: t("termsHint") }));
    const list = el("ol");
    for (const term of result.top_terms) {
      const sign = term.weight > 0 ? "+" : "−";
      list.append(el("li", {}, el("code", { text: term.term }), ` ${sign}${Math.abs(term.weight).toFixed(2)}`));
    }
    terms.append(list);
    article.append(terms);
  }
  return article;
}

/** The one-line summary announced in the aria-live status region. */
export function statusLine(result) {
  return t("statusResult", {
    level: t(`level_${result.level}`),
    score: percent(result.score),
    red: result.red_flags.length,
    green: result.green_flags.length,
  });
}
