// Planner keywords: server-side filters and ordering, cursor paging, and
// auto-cluster (cost shown first by a dry run, then the job's ProgressModal).
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError, api, type Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { ProgressModal } from "../../components/ProgressModal";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useCreditsStore } from "../../stores/creditsStore";
import { useJobsStore } from "../../stores/jobsStore";
import { emptyFilters, useKeywordsStore, type KeywordFilters } from "../../stores/keywordsStore";
import { useSiteStore } from "../../stores/siteStore";

const STATUSES: Schemas["KeywordStatus"][] = ["new", "clustered", "in_use", "archived"];
const INTENTS: Schemas["Intent"][] = ["informational", "navigational", "commercial", "transactional"];

function Filters({ onApply }: { onApply: () => void }) {
  const { filters, setFilters } = useKeywordsStore();
  const [draft, setDraft] = useState<KeywordFilters>(filters);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    onApply();
  };
  const input = (k: keyof KeywordFilters, label: string, type = "number") => (
    <label className="flex flex-col text-xs text-slate-600">
      {label}
      <input
        type={type}
        value={draft[k]}
        onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
        className="w-24 rounded-md border border-slate-300 px-2 py-1 text-sm"
      />
    </label>
  );
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Keyword filters">
      <label className="flex flex-col text-xs text-slate-600">
        Search
        <input
          type="search"
          value={draft.search}
          onChange={(e) => setDraft({ ...draft, search: e.target.value })}
          className="w-56 rounded-md border border-slate-300 px-2 py-1 text-sm"
        />
      </label>
      <label className="flex flex-col text-xs text-slate-600">
        Status
        <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as KeywordFilters["status"] })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label className="flex flex-col text-xs text-slate-600">
        Intent
        <select value={draft.intent} onChange={(e) => setDraft({ ...draft, intent: e.target.value as KeywordFilters["intent"] })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
          <option value="">any</option>
          {INTENTS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      {input("min_volume", "Min volume")}
      {input("max_volume", "Max volume")}
      {input("min_difficulty", "Min KD")}
      {input("max_difficulty", "Max KD")}
      <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm text-white">
        Apply
      </button>
      <button
        type="button"
        className="rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        onClick={() => {
          setDraft(emptyFilters);
          setFilters(emptyFilters);
          onApply();
        }}
      >
        Clear
      </button>
    </form>
  );
}

function AutoCluster({ siteId, sectorId, onDone }: { siteId: string; sectorId: string; onDone: () => void }) {
  const [estimate, setEstimate] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const follow = useJobsStore((s) => s.follow);
  const job = useJobsStore((s) => s.job);
  const loadCredits = useCreditsStore((s) => s.load);
  const body = { site_id: siteId, sector_id: sectorId };
  const call = async (dry: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const { data } = await api.post("/api/v1/planner/clusters/auto-cluster", { body: { ...body, dry_run: dry } });
      if ("dry_run" in data && data.dry_run) {
        setEstimate(data.estimated_credits);
      } else {
        setEstimate(null);
        follow(data as Schemas["Job"]);
        void loadCredits();
      }
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="flex items-center gap-2">
      {estimate === null ? (
        <button type="button" disabled={busy} onClick={() => void call(true)} className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm text-white disabled:opacity-50">
          Auto-cluster…
        </button>
      ) : (
        <div role="group" aria-label="Confirm auto-cluster" className="flex items-center gap-2 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-1.5 text-sm">
          <span>
            Auto-cluster this sector for <strong>{estimate}</strong> credits?
          </span>
          <button type="button" disabled={busy} onClick={() => void call(false)} className="rounded-md bg-indigo-600 px-2 py-1 text-white disabled:opacity-50">
            Run
          </button>
          <button type="button" onClick={() => setEstimate(null)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            Cancel
          </button>
        </div>
      )}
      {error ? <ErrorBanner error={error} /> : null}
      {job && job.kind === "auto_cluster" ? (
        <ProgressModal
          title="Auto-cluster"
          onFinished={() => {
            onDone();
            void loadCredits();
          }}
        />
      ) : null}
    </div>
  );
}

export default function Keywords() {
  const { siteId, sectorId, loading: sitesLoading } = useSiteStore();
  const { rows, loading, error, next, behind, ordering, setOrdering, load, nextPage, prevPage, selected, toggle, toggleAll, bulk } = useKeywordsStore();
  const [bulkNote, setBulkNote] = useState<string | null>(null);
  const role = useAuthStore((s) => s.user?.role);
  const canEdit = hasRole(role, "editor");
  const scope = siteId ? { siteId, sectorId } : null;

  useEffect(() => {
    if (scope) void load(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId, ordering]);

  if (!scope) {
    return (
      <section className="space-y-2">
        <h1 className="text-xl font-semibold">Keywords</h1>
        <p className="text-sm text-slate-600">{sitesLoading ? "Loading sites…" : "Create a site and a sector first (Settings is not built yet; the API is POST /api/v1/sites/)."}</p>
      </section>
    );
  }

  return (
    <section className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-xl font-semibold">Keywords</h1>
        <div className="flex items-center gap-2">
          {canEdit ? (
            <Link to="/planner/import" className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50">
              Import…
            </Link>
          ) : null}
          {canEdit && sectorId ? <AutoCluster siteId={scope.siteId} sectorId={sectorId} onDone={() => void load(scope)} /> : null}
        </div>
      </div>
      <Filters onApply={() => void load(scope)} />
      {canEdit && selected.size > 0 ? (
        <div role="group" aria-label="Bulk actions" className="flex items-center gap-2 rounded-md bg-slate-100 px-3 py-2 text-sm">
          <span>{selected.size} selected:</span>
          <label className="sr-only" htmlFor="bulk-status">
            Set status
          </label>
          <select
            id="bulk-status"
            value=""
            onChange={async (e) => {
              const r = await bulk(scope, e.target.value as Schemas["KeywordStatus"]);
              if (r) setBulkNote(`${r.updated} updated${r.not_found.length ? `, ${r.not_found.length} not found` : ""}.`);
            }}
            className="rounded-md border border-slate-300 bg-white px-2 py-1"
          >
            <option value="">Set status…</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="rounded-md border border-red-300 bg-white px-2 py-1 text-red-700 hover:bg-red-50"
            onClick={async () => {
              if (!window.confirm(`Delete ${selected.size} keywords?`)) return;
              const r = await bulk(scope, "delete");
              if (r) setBulkNote(`${r.updated} deleted.`);
            }}
          >
            Delete
          </button>
        </div>
      ) : null}
      {bulkNote ? (
        <p role="status" className="text-sm text-slate-600">
          {bulkNote}
        </p>
      ) : null}
      <ErrorBanner error={error} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
            <tr>
              {canEdit ? (
                <th className="w-8 px-3 py-2">
                  <input type="checkbox" aria-label="Select all" checked={rows.length > 0 && selected.size === rows.length} onChange={toggleAll} />
                </th>
              ) : null}
              <th className="px-3 py-2">Keyword</th>
              <th className="px-3 py-2 text-right">Volume</th>
              <th className="px-3 py-2 text-right">KD</th>
              <th className="px-3 py-2 text-right">CPC</th>
              <th className="px-3 py-2">Intent</th>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2">
                <button
                  type="button"
                  onClick={() => setOrdering(ordering === "-created_at" ? "created_at" : "-created_at")}
                  aria-label={`Sort by added date, now ${ordering === "-created_at" ? "newest first" : "oldest first"}`}
                  className="uppercase"
                >
                  Added {ordering === "-created_at" ? "↓" : "↑"}
                </button>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => (
              <tr key={k.id} className="border-t border-slate-100">
                {canEdit ? (
                  <td className="px-3 py-1.5">
                    <input type="checkbox" aria-label={`Select ${k.keyword}`} checked={selected.has(k.id)} onChange={() => toggle(k.id)} />
                  </td>
                ) : null}
                <td className="px-3 py-1.5">{k.keyword}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{k.volume ?? (k.volume_range ? `${k.volume_range[0]}–${k.volume_range[1]}` : "—")}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{k.difficulty ?? "—"}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{k.cpc != null ? k.cpc.toFixed(2) : "—"}</td>
                <td className="px-3 py-1.5">{k.intent ?? "—"}</td>
                <td className="px-3 py-1.5">{k.status}</td>
                <td className="px-3 py-1.5 text-slate-500">{new Date(k.created_at).toLocaleDateString()}</td>
              </tr>
            ))}
            {!loading && rows.length === 0 ? (
              <tr>
                <td colSpan={8} className="px-3 py-6 text-center text-slate-500">
                  No keywords match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <div className="flex items-center justify-between text-sm">
        <span className="text-slate-500" aria-live="polite">
          {loading ? "Loading…" : `Page ${behind.length + 1} · ${rows.length} keywords${selected.size ? ` · ${selected.size} selected` : ""}`}
        </span>
        <div className="flex gap-2">
          <button type="button" disabled={behind.length === 0 || loading} onClick={() => void prevPage(scope)} className="rounded-md border border-slate-300 px-3 py-1 disabled:opacity-40">
            Previous
          </button>
          <button type="button" disabled={!next || loading} onClick={() => void nextPage(scope)} className="rounded-md border border-slate-300 px-3 py-1 disabled:opacity-40">
            Next
          </button>
        </div>
      </div>
    </section>
  );
}
