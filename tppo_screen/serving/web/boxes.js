// Boxes on a picture from the API's flag spans.
//
// /v1/score/image answers `spans`: each flag span with the word boxes [x, y, w, h] it covers, in
// the picture's own pixels. Here they become outlines: the boxes of one span on the same line
// join into one, and outlines that overlap (two flags on the same words) merge into one that
// carries every flag, as highlights do in the text view.
//
// After the OCR text is corrected and checked again, the new spans are offsets in the corrected
// text: `boxesFor` finds their boxes by aligning the corrected words with the words read from
// the picture (equal words, and one-for-one replacements between them). Offsets are code
// points, as in highlight.js.

/** [start, end) in code points of every whitespace-separated word of `text`. */
export function tokens(text) {
  const points = Array.from(text);
  const out = [];
  let start = -1;
  for (let i = 0; i <= points.length; i += 1) {
    const space = i === points.length || /\s/u.test(points[i]);
    if (space && start >= 0) {
      out.push({ start, end: i, text: points.slice(start, i).join("") });
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
  return out;
}

const fold = (word) => word.toLocaleLowerCase("id").replace(/[^\p{L}\p{N}]/gu, "");

/**
 * For each token of `mine`, the index of its token in `theirs`, or -1: the longest common
 * subsequence of words, then one-for-one between two matches when both runs are as long. Tokens
 * without a letter or digit (an emoji OCR never reads, a lone dash) take no part.
 */
export function align(mine, theirs) {
  const wordsOf = (tokens) => tokens.map((token, index) => ({ word: fold(token.text), index })).filter((item) => item.word);
  const left = wordsOf(mine);
  const right = wordsOf(theirs);
  const match = new Array(mine.length).fill(-1);
  matchWords(left.map((item) => item.word), right.map((item) => item.word)).forEach((j, i) => {
    if (j >= 0) match[left[i].index] = right[j].index;
  });
  return match;
}

function matchWords(a, b) {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i * cols + j] = a[i] === b[j] ? table[(i + 1) * cols + j + 1] + 1 : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
    }
  }
  const match = new Array(a.length).fill(-1);
  let i = 0;
  let j = 0;
  let gap = [0, 0]; // where the run of unmatched tokens started, in each list
  const closeGap = () => {
    if (i - gap[0] === j - gap[1]) for (let k = 0; k < i - gap[0]; k += 1) match[gap[0] + k] = gap[1] + k; // one-for-one corrections
  };
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      closeGap();
      match[i] = j;
      i += 1;
      j += 1;
      gap = [i, j];
    } else if (table[(i + 1) * cols + j] >= table[i * cols + j + 1]) {
      i += 1;
    } else {
      j += 1;
    }
  }
  i = a.length;
  j = b.length;
  closeGap();
  return match;
}

/**
 * A function (start, end) → boxes for spans of `text`, through the words read from the picture
 * (`ocr.words` in order, as they appear in `ocr.text`).
 */
export function boxesFor(text, ocr) {
  const mine = tokens(text);
  const theirs = ocr.words.map((word) => ({ text: word.text, box: word.box }));
  const match = align(mine, theirs);
  return (start, end) => {
    const boxes = [];
    mine.forEach((token, index) => {
      if (token.start < end && start < token.end && match[index] >= 0) boxes.push(theirs[match[index]].box);
    });
    return boxes;
  };
}

function union(a, b) {
  const x = Math.min(a[0], b[0]);
  const y = Math.min(a[1], b[1]);
  return [x, y, Math.max(a[0] + a[2], b[0] + b[2]) - x, Math.max(a[1] + a[3], b[1] + b[3]) - y];
}

/** Two word boxes on one line, no more than a few letters apart. */
function sameLine(a, b) {
  const overlap = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  const gap = Math.max(a[0], b[0]) - Math.min(a[0] + a[2], b[0] + b[2]);
  const height = Math.min(a[3], b[3]);
  return overlap > 0.5 * height && gap < 1.5 * height;
}

function intersects(a, b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/** One span's word boxes, those side by side on a line joined into one. */
export function lineBoxes(boxes) {
  const sorted = [...boxes].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const out = [];
  for (const box of sorted) {
    const last = out.find((other) => sameLine(other, box));
    if (last) out[out.indexOf(last)] = union(last, box);
    else out.push(box);
  }
  return out;
}

/**
 * Outlines for the picture: [{box, hits}] from `spans` ({flag, boxes}) and the response's flags
 * (`hits`, tagged with kind). Outlines that overlap merge, carrying every flag involved.
 */
export function outlines(spans, hits) {
  const byId = new Map(hits.map((hit) => [hit.id, hit]));
  const items = [];
  for (const span of spans) {
    const hit = byId.get(span.flag);
    if (!hit) continue;
    for (const box of lineBoxes(span.boxes)) items.push({ box, hits: [hit] });
  }
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < items.length && !merged; i += 1) {
      for (let j = i + 1; j < items.length && !merged; j += 1) {
        if (!intersects(items[i].box, items[j].box)) continue;
        const hitsBoth = [...items[i].hits, ...items[j].hits.filter((hit) => !items[i].hits.includes(hit))];
        items[i] = { box: union(items[i].box, items[j].box), hits: hitsBoth };
        items.splice(j, 1);
        merged = true;
      }
    }
  }
  return items.sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
}
