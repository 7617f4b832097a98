// The risk gauge: an inline SVG semicircle with a needle at the score and the two thresholds
// from the API response marked.
//
// The dial is stretched so that each level gets a third of the arc (the thresholds sit near
// 0.14 and 0.31 of the score range, so a linear dial would be almost all "high"); the tick
// labels show the real thresholds, on the same 0–100 scale as the score printed beside it.

const SVG = "http://www.w3.org/2000/svg";
const CX = 120;
const CY = 124;
const R = 92;

/** Where a score sits on the dial, in [0, 1]: thirds for low, medium and high. */
export function dialPosition(score, thresholds) {
  const { medium, high } = thresholds;
  const s = Math.min(1, Math.max(0, score));
  if (s < medium) return (s / medium) / 3;
  if (s < high) return 1 / 3 + ((s - medium) / (high - medium)) / 3;
  return 2 / 3 + (high < 1 ? ((s - high) / (1 - high)) / 3 : 0);
}

function point(position, radius) {
  const angle = Math.PI * (1 - position);
  return [CX + radius * Math.cos(angle), CY - radius * Math.sin(angle)];
}

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  parent.appendChild(node);
  return node;
}

function arc(from, to, className, parent) {
  const [x0, y0] = point(from, R);
  const [x1, y1] = point(to, R);
  element("path", { d: `M ${x0.toFixed(2)} ${y0.toFixed(2)} A ${R} ${R} 0 0 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`, class: className }, parent);
}

/** An <svg> gauge for `score` (0–1) at `level`, labelled `label` for screen readers. */
export function gauge(score, level, thresholds, label) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 240 140");
  svg.setAttribute("class", `gauge gauge-${level}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const zones = [["low", 0, 1 / 3], ["medium", 1 / 3, 2 / 3], ["high", 2 / 3, 1]];
  for (const [name, from, to] of zones) arc(from, to, `zone zone-${name}${name === level ? " on" : ""}`, svg);
  for (const [position, value] of [[1 / 3, thresholds.medium], [2 / 3, thresholds.high]]) {
    const [xa, ya] = point(position, R - 17);
    const [xb, yb] = point(position, R + 17);
    element("line", { x1: xa, y1: ya, x2: xb, y2: yb, class: "tick" }, svg);
    const [xt, yt] = point(position, R + 27);
    const text = element("text", { x: xt, y: yt, class: "tick-label", "text-anchor": "middle" }, svg);
    text.textContent = String(Math.round(value * 100));
  }
  for (const [position, value, anchor] of [[0, "0", "start"], [1, "100", "end"]]) {
    const [x, y] = point(position, R);
    const text = element("text", { x: x + (anchor === "start" ? -11 : 11), y: y + 16, class: "end-label", "text-anchor": anchor }, svg);
    text.textContent = value;
  }
  const [nx, ny] = point(dialPosition(score, thresholds), R - 10);
  element("line", { x1: CX, y1: CY, x2: nx, y2: ny, class: "needle" }, svg);
  element("circle", { cx: CX, cy: CY, r: 9, class: "hub" }, svg);
  return svg;
}
