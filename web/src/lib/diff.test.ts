import { describe, expect, it } from "vitest";
import { fold, sideBySide, wordDiff, type DiffLine } from "./diff";

const eq = (v: string, o: number, n: number): DiffLine => ({ op: "equal", value: v, old_line: o, new_line: n });
const del = (v: string, o: number): DiffLine => ({ op: "delete", value: v, old_line: o, new_line: null });
const ins = (v: string, n: number): DiffLine => ({ op: "insert", value: v, old_line: null, new_line: n });

describe("sideBySide", () => {
  it("puts a replaced line beside its replacement and lone lines on their own side", () => {
    const rows = sideBySide([
      eq("<h1>Trail shoes</h1>", 1, 1),
      del("<p>Old intro.</p>", 2),
      del("<p>Gone.</p>", 3),
      ins("<p>New intro.</p>", 2),
      eq("<h2>Fit</h2>", 4, 3),
      ins("<p>Added at the end.</p>", 4),
    ]);
    expect(rows.map((r) => [r.kind, r.old?.line ?? null, r.new?.line ?? null])).toEqual([
      ["equal", 1, 1],
      ["change", 2, 2],
      ["delete", 3, null],
      ["equal", 4, 3],
      ["insert", null, 4],
    ]);
    expect(rows[1].old?.text).toBe("<p>Old intro.</p>");
    expect(rows[1].new?.text).toBe("<p>New intro.</p>");
  });

  it("pairs an insert run that comes before its delete run", () => {
    const rows = sideBySide([ins("b2", 1), del("b1", 1)]);
    expect(rows).toEqual([{ kind: "change", old: { line: 1, text: "b1" }, new: { line: 1, text: "b2" } }]);
  });

  it("gives nothing for no lines", () => {
    expect(sideBySide([])).toEqual([]);
  });
});

describe("wordDiff", () => {
  it("marks only the changed words, and each side joins back to its line", () => {
    const a = "<p>Trail shoes need a firm grip on wet rock.</p>";
    const b = "<p>Trail shoes need a soft, firm grip on rock.</p>";
    const pieces = wordDiff(a, b);
    const side = (op: "delete" | "insert") => pieces.filter((p) => p.op === "equal" || p.op === op).map((p) => p.text).join("");
    expect(side("delete")).toBe(a);
    expect(side("insert")).toBe(b);
    expect(pieces.filter((p) => p.op === "delete").map((p) => p.text.trim())).toEqual(["wet"]);
    expect(pieces.filter((p) => p.op === "insert").map((p) => p.text.trim())).toEqual(["soft,"]);
  });

  it("handles empty sides", () => {
    expect(wordDiff("", "new words")).toEqual([{ op: "insert", text: "new words" }]);
    expect(wordDiff("old", "")).toEqual([{ op: "delete", text: "old" }]);
    expect(wordDiff("same", "same")).toEqual([{ op: "equal", text: "same" }]);
  });
});

describe("fold", () => {
  it("keeps two equal lines around each change and folds the rest into counts", () => {
    const lines = [...Array.from({ length: 6 }, (_, i) => eq(`a${i}`, i + 1, i + 1)), ins("new", 7), ...Array.from({ length: 5 }, (_, i) => eq(`b${i}`, i + 7, i + 8))];
    const shown = fold(sideBySide(lines));
    expect(shown.map((r) => (r.kind === "skip" ? `skip ${r.count}` : r.kind === "equal" ? r.old?.text : `${r.kind} ${r.new?.text}`))).toEqual([
      "skip 4",
      "a4",
      "a5",
      "insert new",
      "b0",
      "b1",
      "skip 3",
    ]);
  });
  it("folds nothing when every line changed, and everything when none did", () => {
    expect(fold(sideBySide([del("x", 1), ins("y", 1)])).map((r) => r.kind)).toEqual(["change"]);
    expect(fold(sideBySide([eq("x", 1, 1), eq("y", 2, 2)]))).toEqual([{ kind: "skip", count: 2 }]);
  });
});
