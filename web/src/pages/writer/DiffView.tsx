// Two versions side by side: the API's line diff paired into (old | new)
// rows, changed words marked inside a replaced line.
import { useMemo, useState } from "react";
import type { Schemas } from "../../api";
import { fold, sideBySide, wordDiff, type Row } from "../../lib/diff";

function Cell({ row, side }: { row: Row; side: "old" | "new" }) {
  const s = row[side];
  if (!s) return <td className="bg-slate-50" colSpan={2} />;
  const tone = row.kind === "equal" ? "" : side === "old" ? "bg-red-50" : "bg-green-50";
  let body: React.ReactNode = s.text;
  if (row.kind === "change" && row.old && row.new) {
    const keep = side === "old" ? "delete" : "insert";
    body = wordDiff(row.old.text, row.new.text)
      .filter((p) => p.op === "equal" || p.op === keep)
      .map((p, i) =>
        p.op === "equal" ? (
          <span key={i}>{p.text}</span>
        ) : side === "old" ? (
          <del key={i} className="bg-red-200 text-red-950">
            {p.text}
          </del>
        ) : (
          <ins key={i} className="bg-green-200 text-green-950 no-underline">
            {p.text}
          </ins>
        ),
      );
  } else if (row.kind !== "equal") {
    body = side === "old" ? <del className="text-red-950">{s.text}</del> : <ins className="text-green-950 no-underline">{s.text}</ins>;
  }
  return (
    <>
      <td className={`w-10 select-none px-2 text-right align-top text-slate-600 tabular-nums ${tone}`}>{s.line ?? ""}</td>
      <td className={`whitespace-pre-wrap break-words px-2 align-top font-mono ${tone}`}>{body}</td>
    </>
  );
}

export function DiffView({ diff }: { diff: Schemas["VersionDiff"] }) {
  const rows = useMemo(() => sideBySide(diff.lines), [diff.lines]);
  const [all, setAll] = useState(false);
  const shown = useMemo(() => (all ? rows : fold(rows)), [rows, all]);
  const st = diff.stats;
  return (
    <section aria-label="Versions diff" className="space-y-2">
      <p className="text-sm text-slate-700" data-testid="diff-stats">
        v{diff.from.number} → v{diff.to.number}: {st.lines_added} lines added, {st.lines_removed} removed ({st.words_added} words added, {st.words_removed} removed)
        {diff.title_changed ? `; title “${diff.from.title}” → “${diff.to.title}”` : ""}
        <button type="button" onClick={() => setAll(!all)} className="ml-3 rounded border border-slate-300 px-2 py-0.5 text-xs">
          {all ? "Hide unchanged lines" : "Show all lines"}
        </button>
      </p>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Side by side" tabIndex={0}>
        <table className="w-full table-fixed text-xs">
          <colgroup>
            <col className="w-10" />
            <col />
            <col className="w-10" />
            <col />
          </colgroup>
          <thead className="bg-slate-50 text-left text-slate-700">
            <tr>
              <th colSpan={2} className="px-2 py-1">
                v{diff.from.number} ({diff.from.source})
              </th>
              <th colSpan={2} className="px-2 py-1">
                v{diff.to.number} ({diff.to.source})
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r, i) =>
              r.kind === "skip" ? (
                <tr key={i} data-kind="skip" className="border-t border-slate-100 bg-slate-50 text-slate-600">
                  <td colSpan={4} className="px-2 py-0.5 text-center">
                    {r.count} unchanged line{r.count === 1 ? "" : "s"}
                  </td>
                </tr>
              ) : (
                <tr key={i} data-kind={r.kind} className="border-t border-slate-100">
                  <Cell row={r} side="old" />
                  <Cell row={r} side="new" />
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
