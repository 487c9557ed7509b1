// Planner keywords: server-side filters and ordering, infinite scroll over
// cursor pages with row virtualisation (only the rows in view are in the DOM,
// so 10,000 loaded rows scroll smoothly), bulk select across every loaded row,
// and auto-cluster (cost shown first by a dry run, then the job's ProgressModal).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
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

/** Height of one table row (px): the virtualiser's estimate. */
export const ROW_HEIGHT = 36;
/** Load the next page when the last rendered row is this close to the end. */
const LOAD_AHEAD = 30;

function KeywordTable({ scope, canEdit }: { scope: { siteId: string; sectorId: string | null }; canEdit: boolean }) {
  const { rows, loading, next, ordering, setOrdering, loadMore, selected, toggle, toggleAll } = useKeywordsStore();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (next && !loading && last >= rows.length - LOAD_AHEAD) void loadMore(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [last, rows.length, next, loading]);
  const top = items.length ? items[0].start : 0;
  const bottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  const columns = canEdit ? 8 : 7;
  return (
    <div ref={scroller} data-testid="keywords-scroll" data-virtual-scroll className="h-[60vh] overflow-auto rounded-lg border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Keywords table">
      <table className="min-w-full text-sm" aria-rowcount={rows.length + 1}>
        <thead className="sticky top-0 z-10 bg-slate-50 text-left text-xs uppercase text-slate-500">
          <tr aria-rowindex={1}>
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
          {top > 0 ? (
            <tr aria-hidden="true" style={{ height: top }}>
              <td colSpan={columns} />
            </tr>
          ) : null}
          {items.map((item) => {
            const k = rows[item.index];
            return (
              <tr key={item.key} aria-rowindex={item.index + 2} style={{ height: ROW_HEIGHT }} className="border-t border-slate-100">
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
            );
          })}
          {bottom > 0 ? (
            <tr aria-hidden="true" style={{ height: bottom }}>
              <td colSpan={columns} />
            </tr>
          ) : null}
          {!loading && rows.length === 0 ? (
            <tr>
              <td colSpan={columns} className="px-3 py-6 text-center text-slate-500">
                No keywords match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

export default function Keywords() {
  const { siteId, sectorId, loading: sitesLoading } = useSiteStore();
  const { rows, loading, error, next, ordering, load, loadMore, selected, bulk } = useKeywordsStore();
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
      <KeywordTable scope={scope} canEdit={canEdit} />
      <div className="flex items-center justify-between text-sm">
        <span className="text-slate-500" aria-live="polite">
          {loading ? "Loading…" : `${rows.length} keywords loaded${next ? " (scroll for more)" : ""}${selected.size ? ` · ${selected.size} selected` : ""}`}
        </span>
        {next ? (
          <button type="button" disabled={loading} onClick={() => void loadMore(scope)} className="rounded-md border border-slate-300 px-3 py-1 disabled:opacity-40">
            Load more
          </button>
        ) : null}
      </div>
    </section>
  );
}
