// Planner clusters: stats per cluster, its member keywords, remove or move
// members (editors and above). Auto-cluster runs from the Keywords page.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useClustersStore } from "../../stores/clustersStore";
import { useSiteStore } from "../../stores/siteStore";

function Members({ scope, cluster, canEdit }: { scope: { siteId: string; sectorId: string | null }; cluster: Schemas["Cluster"]; canEdit: boolean }) {
  const { members, clusters, change } = useClustersStore();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [target, setTarget] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const others = clusters.filter((c) => c.id !== cluster.id);
  const ids = [...picked];
  const toggle = (id: string) => {
    const s = new Set(picked);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setPicked(s);
  };
  const act = async (to?: string) => {
    const r = await change(scope, ids, to);
    if (r) {
      setNote(`${r.moved} ${to ? "moved" : "removed"}${r.not_found.length ? `, ${r.not_found.length} not found` : ""}.`);
      setPicked(new Set());
    }
  };
  return (
    <div className="space-y-2 bg-slate-50 px-4 py-3">
      {cluster.description ? <p className="text-sm text-slate-700">{cluster.description}</p> : null}
      <ul aria-label={`Keywords of ${cluster.name}`} className="grid grid-cols-1 gap-1 text-sm sm:grid-cols-2">
        {members.map((k) => (
          <li key={k.id} className="flex items-center gap-2">
            {canEdit ? <input type="checkbox" aria-label={`Pick ${k.keyword}`} checked={picked.has(k.id)} onChange={() => toggle(k.id)} /> : null}
            <span>{k.keyword}</span>
            <span className="text-xs text-slate-600 tabular-nums">{k.volume ?? "—"}</span>
          </li>
        ))}
      </ul>
      {canEdit && picked.size > 0 ? (
        <div role="group" aria-label="Change membership" className="flex flex-wrap items-center gap-2 text-sm">
          <span>{picked.size} picked:</span>
          <button type="button" onClick={() => void act()} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            Remove from cluster
          </button>
          <label className="sr-only" htmlFor={`move-${cluster.id}`}>
            Move to cluster
          </label>
          <select id={`move-${cluster.id}`} value={target} onChange={(e) => setTarget(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            <option value="">Move to…</option>
            {others.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <button type="button" disabled={!target} onClick={() => void act(target)} className="rounded-md bg-indigo-600 px-2 py-1 text-white disabled:opacity-50">
            Move
          </button>
        </div>
      ) : null}
      {note ? (
        <p role="status" className="text-sm text-slate-700">
          {note}
        </p>
      ) : null}
    </div>
  );
}

export default function Clusters() {
  const { siteId, sectorId } = useSiteStore();
  const { clusters, next, status, search, openId, loading, error, load, open } = useClustersStore();
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  const [draft, setDraft] = useState(search);
  const scope = siteId ? { siteId, sectorId } : null;
  useEffect(() => {
    if (scope) void load(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId]);
  if (!scope) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void load(scope, { search: draft });
  };
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Clusters</h1>
      <form onSubmit={submit} aria-label="Cluster filters" className="flex flex-wrap items-end gap-3 text-xs text-slate-600">
        <label className="flex flex-col">
          Search
          <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} className="w-56 rounded-md border border-slate-300 px-2 py-1 text-sm" />
        </label>
        <label className="flex flex-col">
          Status
          <select value={status} onChange={(e) => void load(scope, { status: e.target.value as Schemas["ClusterStatus"] | "" })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            <option value="">any</option>
            <option>active</option>
            <option>archived</option>
          </select>
        </label>
        <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm text-white">
          Apply
        </button>
      </form>
      <ErrorBanner error={error} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Clusters list">
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Cluster</th>
              <th className="px-3 py-2 text-right">Keywords</th>
              <th className="px-3 py-2 text-right">Total volume</th>
              <th className="px-3 py-2 text-right">Avg KD</th>
              <th className="px-3 py-2">Intent</th>
              <th className="px-3 py-2">Status</th>
            </tr>
          </thead>
          {clusters.map((c) => (
            <tbody key={c.id}>
              <tr className="border-t border-slate-100">
                <td className="px-3 py-1.5">
                  <button type="button" aria-expanded={openId === c.id} onClick={() => void open(scope, openId === c.id ? null : c.id)} className="text-left text-indigo-800 underline">
                    {c.name}
                  </button>
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums">{c.keyword_count}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{c.total_volume}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{c.avg_difficulty != null ? Math.round(c.avg_difficulty) : "—"}</td>
                <td className="px-3 py-1.5">{c.dominant_intent ?? "—"}</td>
                <td className="px-3 py-1.5">{c.status}</td>
              </tr>
              {openId === c.id ? (
                <tr>
                  <td colSpan={6} className="p-0">
                    <Members scope={scope} cluster={c} canEdit={canEdit} />
                  </td>
                </tr>
              ) : null}
            </tbody>
          ))}
          {!loading && clusters.length === 0 ? (
            <tbody>
              <tr>
                <td colSpan={6} className="px-3 py-6 text-center text-slate-500">
                  No clusters yet: run auto-cluster from the Keywords page.
                </td>
              </tr>
            </tbody>
          ) : null}
        </table>
      </div>
      {next ? (
        <button type="button" onClick={() => void load(scope, { more: true })} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
