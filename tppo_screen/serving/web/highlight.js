// Cut an ad into plain and highlighted pieces from the API's flag spans.
//
// The API's offsets are Python string indices: code points. JavaScript strings index UTF-16
// code units, and an emoji (🇰🇭, 🙏) is two or more of them, so text.slice(start, end) would
// drift after the first emoji. Everything here works on Array.from(text): one entry per code
// point, exactly as Python counts.

const RANK = { high: 3, medium: 2, low: 1 };

/**
 * Pieces covering `text` in order: {text} for plain text, {text, start, end, hits} for a
 * highlight. Overlapping spans (one flag's words inside another's, or two flags on the same
 * words) merge into one highlight that carries every flag involved; spans that only touch stay
 * separate. `hits` are the API's flags, each tagged with `kind` ("red" or "green").
 */
export function pieces(text, hits) {
  const points = Array.from(text);
  const spans = [];
  for (const hit of hits) {
    for (const span of hit.spans) {
      const start = Math.max(0, Math.min(span.start, points.length));
      const end = Math.max(start, Math.min(span.end, points.length));
      if (end > start) spans.push({ start, end, hit });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const groups = [];
  for (const span of spans) {
    const last = groups[groups.length - 1];
    if (last && span.start < last.end) {
      last.end = Math.max(last.end, span.end);
      if (!last.hits.includes(span.hit)) last.hits.push(span.hit);
    } else {
      groups.push({ start: span.start, end: span.end, hits: [span.hit] });
    }
  }
  const out = [];
  let position = 0;
  for (const group of groups) {
    if (group.start > position) out.push({ text: points.slice(position, group.start).join("") });
    out.push({ ...group, text: points.slice(group.start, group.end).join("") });
    position = group.end;
  }
  if (position < points.length) out.push({ text: points.slice(position).join("") });
  return out;
}

/** The class a highlight is drawn with: its most severe red flag, else "green". */
export function severityOf(hits) {
  const red = hits.filter((hit) => hit.kind === "red");
  if (!red.length) return "green";
  return red.reduce((worst, hit) => (RANK[hit.severity] > RANK[worst] ? hit.severity : worst), "low");
}

/** Flags sorted for a list: red before green, then by severity. */
export function bySeverity(hits) {
  const rank = (hit) => (hit.kind === "green" ? 0 : RANK[hit.severity] ?? 0);
  return [...hits].sort((a, b) => rank(b) - rank(a));
}
