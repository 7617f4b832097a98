// A checked picture: the image on a <canvas> with the signs outlined over it, how well its text
// was read, and the text itself, editable, with "Periksa ulang" to check the corrected text.
//
// The outlines are buttons positioned in percent of the picture, so they follow whatever size
// it is shown at (phone, laptop, projector) without being recomputed. Their border is drawn as
// the text view's highlights: solid for a serious sign, dashed, dotted, double for a sign of a
// legitimate ad, with the same colours and icons.

import { outlines } from "./boxes.js";
import { severityOf } from "./highlight.js";
import { t } from "./i18n.js";
import { el, legend } from "./render.js";

export const LOW_CONFIDENCE = 70; // as images.scoring.LOW_CONFIDENCE: below it the page asks for a look at the text
const LONGEST_SIDE = 1600; // the canvas's pixels: enough for a projector, whatever the photo's size

/** The canvas showing `bitmap` (or a grey page when the browser could not decode it) at the OCR's size. */
function canvasFor(bitmap, width, height, label) {
  const scale = Math.min(1, LONGEST_SIDE / Math.max(width, height));
  const canvas = el("canvas", { cls: "picture-image", attrs: { role: "img", "aria-label": label } });
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d");
  if (bitmap) context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  else {
    context.fillStyle = "#e9ecf0";
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  return canvas;
}

function place(node, box, width, height) {
  const pad = Math.max(2, Math.round(0.005 * Math.max(width, height)));
  const x = Math.max(0, box[0] - pad);
  const y = Math.max(0, box[1] - pad);
  const w = Math.min(width, box[0] + box[2] + pad) - x;
  const h = Math.min(height, box[1] + box[3] + pad) - y;
  node.style.left = `${(100 * x) / width}%`;
  node.style.top = `${(100 * y) / height}%`;
  node.style.width = `${(100 * w) / width}%`;
  node.style.height = `${(100 * h) / height}%`;
}

/**
 * Draw the outlines for `spans` ({flag, boxes}) over the picture in `view`, replacing any
 * there. `hits` are the response's flags tagged with kind; `result` is the result view whose
 * explanation panel they open (Enter, Space or a click; Escape closes it).
 */
export function drawBoxes(view, spans, hits, result) {
  const layer = view.querySelector(".boxes");
  layer.onkeydown = (event) => {
    if (event.key === "Escape") result.closeExplain();
  };
  const { width, height } = view.dataset;
  layer.replaceChildren();
  const items = outlines(spans, hits);
  for (const item of items) {
    const key = severityOf(item.hits);
    const labels = item.hits.map((hit) => hit.label).join(" · ");
    const button = el("button", {
      cls: `box sev-${key}`,
      attrs: {
        type: "button",
        "aria-label": t("boxLabel", { sev: t(`sev_${key}`), labels }),
        title: labels,
        "data-flags": item.hits.map((hit) => hit.id).join(" "),
        "data-box": item.box.join(" "),
      },
    });
    place(button, item.box, Number(width), Number(height));
    button.hits = item.hits;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", result.querySelector(".explain").id);
    result.marks.push(button); // active, like the highlights, while their explanation is open
    button.addEventListener("click", () => result.explain(item.hits, button));
    layer.append(button);
  }
  view.querySelector(".no-boxes").hidden = items.length > 0 || !hits.length;
  return items.length;
}

/** How well the text was read; a warning when it is below LOW_CONFIDENCE. */
function confidenceLine(confidence) {
  const value = Math.round(confidence);
  if (confidence < LOW_CONFIDENCE) return el("p", { cls: "ocr-warning", text: t("ocrLow", { confidence: value }), attrs: { role: "note" } });
  return el("p", { cls: "ocr-line hint", text: t("ocrConfidence", { confidence: value }) });
}

/**
 * The picture section for a response of /v1/score/image. `recheck(text)` runs when "Periksa
 * ulang" is pressed with the (corrected) text.
 */
export function pictureView({ bitmap, name, ocr }, recheck) {
  const section = el("section", { cls: "picture", attrs: { "data-width": String(ocr.width), "data-height": String(ocr.height) } });
  const label = t("pictureAlt", { name: name || "—" });
  section.append(el("h2", { cls: "picture-title", text: t("pictureTitle"), attrs: { tabindex: "-1" } }), el("p", { cls: "hint", text: t("pictureHint") }), legend());
  const frame = el("div", { cls: "picture-frame" }, canvasFor(bitmap, ocr.width, ocr.height, label), el("div", { cls: "boxes" }));
  frame.style.setProperty("--aspect", String(ocr.width / Math.max(1, ocr.height)));
  const figure = el("figure", { cls: "picture-figure" }, frame, el("p", { cls: "no-boxes hint", text: t("noBoxes") }));
  figure.lastChild.hidden = true;

  const form = el("form", { cls: "ocr-form" });
  const area = el("textarea", { cls: "ocr-text", attrs: { id: "ocr-text", rows: "10", spellcheck: "false", lang: "id" } });
  area.value = ocr.text;
  const button = el("button", { cls: "primary", text: t("recheck"), attrs: { type: "submit", id: "recheck" } });
  form.append(
    confidenceLine(ocr.confidence),
    el("label", { text: t("ocrLabel"), attrs: { for: "ocr-text" } }),
    area,
    el("div", { cls: "row" }, button, el("span", { cls: "hint", text: t("recheckHint") })),
    el("p", { cls: "rechecked", text: t("rechecked"), attrs: { role: "status" } }),
  );
  form.lastChild.hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await recheck(area.value);
  });
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  section.append(el("div", { cls: "picture-body" }, figure, form));
  return section;
}

/** Say that the result below is for the corrected text (or not, when it is the text as read). */
export function markRechecked(view, rechecked) {
  view.querySelector(".rechecked").hidden = !rechecked;
}
