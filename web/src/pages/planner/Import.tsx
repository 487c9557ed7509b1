// Keyword import: drop a file (Semrush, Ahrefs, Keyword Planner, Search
// Console, a plain list; CSV/TSV/TXT/XLSX), see its first lines, import, then
// the API's report: detected format, counts and the row errors it names.
import { useState, type DragEvent } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { ProgressModal } from "../../components/ProgressModal";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useImportStore } from "../../stores/importStore";
import { useJobsStore } from "../../stores/jobsStore";
import { useSiteStore } from "../../stores/siteStore";

const FORMAT: Record<Schemas["SourceFormat"], string> = {
  semrush_keyword_magic: "Semrush Keyword Magic Tool",
  semrush_strategy_builder: "Semrush Keyword Strategy Builder",
  ahrefs_keywords_explorer: "Ahrefs Keywords Explorer",
  google_keyword_planner: "Google Keyword Planner",
  google_search_console: "Google Search Console",
  plain_list: "Plain keyword list",
  json: "JSON rows",
};

export function Report({ report }: { report: Schemas["ImportReport"] }) {
  const stats: [string, number][] = [
    ["Rows", report.rows],
    ["Created", report.created],
    ["Updated", report.updated],
    ["Skipped", report.skipped],
    ["Invalid", report.invalid ?? 0],
    ["Duplicates in file", report.duplicates_in_file],
  ];
  return (
    <section aria-label="Import report" className="space-y-3">
      <p className="text-sm">
        Detected format: <strong>{report.format ? FORMAT[report.format] : "unknown"}</strong>
      </p>
      <dl className="grid grid-cols-3 gap-2 sm:grid-cols-6">
        {stats.map(([k, v]) => (
          <div key={k} className="rounded-md border border-slate-200 bg-white px-3 py-2">
            <dt className="text-xs text-slate-500">{k}</dt>
            <dd className="text-lg font-semibold tabular-nums">{v}</dd>
          </div>
        ))}
      </dl>
      {report.errors.length > 0 ? (
        <div className="space-y-1">
          <h2 className="text-sm font-semibold">Row errors ({report.errors.length})</h2>
          <table className="min-w-full rounded-md border border-slate-200 bg-white text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-1">Row</th>
                <th className="px-3 py-1">Column</th>
                <th className="px-3 py-1">Problem</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.map((e, i) => (
                <tr key={i} className="border-t border-slate-100">
                  <td className="px-3 py-1 tabular-nums">{e.row}</td>
                  <td className="px-3 py-1">{e.column}</td>
                  <td className="px-3 py-1">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export default function Import() {
  const { siteId, sectorId } = useSiteStore();
  const { file, preview, report, busy, error, choose, upload, reset } = useImportStore();
  const job = useJobsStore((s) => s.job);
  const follow = useJobsStore((s) => s.follow);
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  const [over, setOver] = useState(false);

  if (!canEdit) return <p className="text-sm text-slate-600">Importing keywords needs the editor role or above.</p>;
  if (!siteId || !sectorId) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f) void choose(f);
  };
  const start = async () => {
    await upload({ siteId, sectorId });
    const j = useImportStore.getState().job;
    if (j) follow(j);
  };

  return (
    <section className="max-w-4xl space-y-4">
      <h1 className="text-xl font-semibold">Import keywords</h1>
      <label
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="dropzone"
        className={`flex cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed px-6 py-10 text-sm ${
          over ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-white"
        }`}
      >
        <span className="font-medium">Drop a keyword file here, or click to choose one</span>
        <span className="text-xs text-slate-500">Semrush, Ahrefs, Google Keyword Planner, Search Console exports or a plain list · CSV, TSV, TXT, XLSX</span>
        <input
          type="file"
          className="sr-only"
          aria-label="Keyword file"
          accept=".csv,.tsv,.txt,.xlsx,text/csv,text/plain"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void choose(f);
          }}
        />
      </label>
      {file ? (
        <div className="space-y-2">
          <p className="text-sm">
            <strong>{file.name}</strong> · {(file.size / 1024).toFixed(1)} KB{preview ? ` · ${preview.encoding}` : ""}
          </p>
          {preview?.rows ? (
            <div tabIndex={0} role="region" aria-label="First lines of the file" className="max-h-64 overflow-auto rounded-md border border-slate-200 bg-white focus:outline-none focus:ring-2 focus:ring-indigo-500">
              <table aria-label="File preview" className="min-w-full text-xs">
                <tbody>
                  {preview.rows.map((r, i) => (
                    <tr key={i} className={i === 0 ? "bg-slate-50 font-medium" : "border-t border-slate-100"}>
                      {r.map((c, j) => (
                        <td key={j} className="whitespace-nowrap px-2 py-1">
                          {c}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : preview ? (
            <p className="text-xs text-slate-500">No text preview for this file; the server reads it.</p>
          ) : null}
          <div className="flex gap-2">
            <button type="button" disabled={busy} onClick={() => void start()} className="rounded-md bg-indigo-600 px-4 py-2 text-sm text-white disabled:opacity-50">
              {busy ? "Importing…" : "Import"}
            </button>
            <button type="button" onClick={reset} className="rounded-md border border-slate-300 px-4 py-2 text-sm">
              Clear
            </button>
          </div>
        </div>
      ) : null}
      <ErrorBanner error={error} />
      {report ? (
        <>
          <Report report={report} />
          <Link to="/planner/keywords" className="text-sm text-indigo-700 underline">
            See the keywords
          </Link>
        </>
      ) : null}
      {job && job.kind === "import_keywords" ? (
        <ProgressModal
          title="Importing keywords"
          canCancel
          onFinished={(j) => {
            const r = j.result as Schemas["ImportReport"] | undefined;
            if (r && typeof r.rows === "number") useImportStore.setState({ report: r });
          }}
        />
      ) : null}
    </section>
  );
}
