// Versions diff, side by side. The API computes the line diff
// (GET /writer/content/{id}/versions/diff: each line `equal`, `delete` or
// `insert` with its old/new line numbers); this pairs a run of deleted lines
// with the inserted lines that replace it into rows of (old | new), and marks
// the changed words inside a replaced line with a small word diff (LCS).
import type { Schemas } from "../api";

export type DiffLine = Schemas["DiffLine"];

export interface Side {
  line: number | null;
  text: string;
}

export interface Row {
  kind: "equal" | "change" | "delete" | "insert";
  old: Side | null;
  new: Side | null;
}

/** Rows to show: changed rows with `context` equal rows around them; each
 * longer run of equal rows is one `skip` of that many lines. */
export type Shown = Row | { kind: "skip"; count: number };

export function fold(rows: Row[], context = 2): Shown[] {
  const near = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind === "equal") return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) near[k] = true;
  });
  const out: Shown[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (near[i] || r.kind !== "equal") {
      if (skipped) out.push({ kind: "skip", count: skipped });
      skipped = 0;
      out.push(r);
    } else {
      skipped++;
    }
  });
  if (skipped) out.push({ kind: "skip", count: skipped });
  return out;
}

/** Rows for a side-by-side view: equal lines on both sides, a deleted line
 * beside the inserted line that took its place, the rest alone on their side. */
export function sideBySide(lines: DiffLine[]): Row[] {
  const rows: Row[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.op === "equal") {
      rows.push({ kind: "equal", old: { line: l.old_line ?? null, text: l.value }, new: { line: l.new_line ?? null, text: l.value } });
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const ins: DiffLine[] = [];
    while (i < lines.length && lines[i].op === "delete") dels.push(lines[i++]);
    while (i < lines.length && lines[i].op === "insert") ins.push(lines[i++]);
    // An insert run may come first and a delete run after it: take those too.
    while (i < lines.length && lines[i].op === "delete") dels.push(lines[i++]);
    const n = Math.max(dels.length, ins.length);
    for (let k = 0; k < n; k++) {
      const d = dels[k];
      const a = ins[k];
      rows.push({
        kind: d && a ? "change" : d ? "delete" : "insert",
        old: d ? { line: d.old_line ?? null, text: d.value } : null,
        new: a ? { line: a.new_line ?? null, text: a.value } : null,
      });
    }
  }
  return rows;
}

export interface Piece {
  op: "equal" | "delete" | "insert";
  text: string;
}

/** Words and the spaces between them, so joining the pieces gives the text back. */
function tokens(s: string): string[] {
  return s.match(/\s+|[^\s<>]+|[<>]/g) ?? [];
}

/** The word-level diff of two lines (longest common subsequence of tokens).
 * Joining the `equal` and `delete` pieces gives `a`; `equal` and `insert`, `b`. */
export function wordDiff(a: string, b: string): Piece[] {
  const x = tokens(a);
  const y = tokens(b);
  // Lines are short (one HTML block each); cap the table so a huge line stays cheap.
  if (x.length * y.length > 250_000) {
    return [...(a ? [{ op: "delete" as const, text: a }] : []), ...(b ? [{ op: "insert" as const, text: b }] : [])];
  }
  const m = x.length;
  const n = y.length;
  const lcs: Uint32Array[] = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--) {
    for (let j = n - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: Piece[] = [];
  const push = (op: Piece["op"], text: string) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < m && j < n) {
    if (x[i] === y[j]) {
      push("equal", x[i]);
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      push("delete", x[i++]);
    } else {
      push("insert", y[j++]);
    }
  }
  while (i < m) push("delete", x[i++]);
  while (j < n) push("insert", y[j++]);
  return out;
}
