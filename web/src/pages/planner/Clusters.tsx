// Planner clusters: stats per cluster, its member keywords, remove or move
// members; add a cluster, edit its name and description, delete it (after a
// confirm saying its keywords become unclustered), and re-cluster one
// cluster's keywords (the cost first, then the job's ProgressModal). Writes
// are for editors and above. Auto-cluster of the whole sector runs from the
// Keywords page.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../../api";
import { AiAction } from "../../components/AiAction";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useClustersStore, type ClusterEdit } from "../../stores/clustersStore";
import { useSiteStore } from "../../stores/siteStore";
import { BTN, DANGER, OtherErrors, PRIMARY, TextArea } from "./fields";

type Scope = { siteId: string; sectorId: string | null };

/** Add a cluster (no `cluster`) or edit one. No `required` attribute: an
 * empty name goes to the API, whose field error is shown under the field. */
function ClusterForm({ scope, cluster, onDone }: { scope: Scope; cluster?: Schemas["Cluster"]; onDone: (c: Schemas["Cluster"]) => void }) {
  const { add, edit } = useClustersStore();
  const [f, setF] = useState<ClusterEdit>({ name: cluster?.name ?? "", description: cluster?.description ?? "" });
  const { error, fields, busy, run } = useSubmit();
  const p = cluster ? `cluster-${cluster.id}` : "new-cluster";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const saved = cluster ? await edit(scope, cluster, f) : await add(scope, f);
      if (!cluster) setF({ name: "", description: "" });
      onDone(saved);
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={cluster ? `Edit ${cluster.name}` : "Add a cluster"} className="space-y-3 rounded-lg border border-slate-200 bg-white p-3">
      <h2 className="text-sm font-semibold">{cluster ? `Edit “${cluster.name}”` : "Add a cluster"}</h2>
      <ErrorBanner error={error} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Cluster name" name={`${p}-name`} value={f.name} onChange={(v) => setF({ ...f, name: v })} error={fields.name} />
        <TextArea label="Description (optional)" name={`${p}-description`} rows={2} value={f.description} onChange={(v) => setF({ ...f, description: v })} error={fields.description} />
      </div>
      <OtherErrors fields={fields} known={["name", "description"]} />
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          {cluster ? "Save cluster" : "Add cluster"}
        </button>
        {cluster ? (
          <button type="button" className={BTN} onClick={() => onDone(cluster)}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** Edit, delete (confirm first) and re-cluster one cluster. */
function ClusterActions({ scope, cluster, onNote }: { scope: Scope; cluster: Schemas["Cluster"]; onNote: (note: string) => void }) {
  const { remove, autoCluster, load, open } = useClustersStore();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const { error, busy, run } = useSubmit();
  const n = cluster.keyword_count;
  const del = () =>
    void run(async () => {
      const out = await remove(scope, cluster);
      const k = out.keywords_unclustered;
      onNote(`Cluster “${cluster.name}” deleted; ${k} keyword${k === 1 ? " is" : "s are"} now unclustered.`);
    });
  if (editing) return <ClusterForm scope={scope} cluster={cluster} onDone={() => setEditing(false)} />;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label={`Actions for ${cluster.name}`}>
        <button type="button" className={BTN} onClick={() => setEditing(true)}>
          Edit
        </button>
        <button type="button" className={DANGER} onClick={() => setConfirming(true)} disabled={confirming}>
          Delete…
        </button>
        <AiAction
          label="Auto-cluster this cluster"
          what={`Re-cluster the ${n} keyword${n === 1 ? "" : "s"} of “${cluster.name}”`}
          submit={(dry) => autoCluster(scope, cluster.id, dry)}
          onFinished={() => {
            void load(scope);
            void open(scope, cluster.id);
          }}
        />
      </div>
      {confirming ? (
        <div role="group" aria-label={`Confirm deleting ${cluster.name}`} className="flex flex-wrap items-center gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
          <span>
            Delete “{cluster.name}”? Its {n} keyword{n === 1 ? " stays" : "s stay"} in this sector, unclustered (status new); ideas and tasks made from it stay, no longer
            linked to a cluster.
          </span>
          <button type="button" disabled={busy} className={DANGER} onClick={del}>
            Delete cluster
          </button>
          <button type="button" className={BTN} onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      ) : null}
      <ErrorBanner error={error} />
    </div>
  );
}

function Members({ scope, cluster, canEdit, onNote }: { scope: Scope; cluster: Schemas["Cluster"]; canEdit: boolean; onNote: (note: string) => void }) {
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
      {canEdit ? <ClusterActions scope={scope} cluster={cluster} onNote={onNote} /> : null}
      {members.length === 0 ? <p className="text-sm text-slate-600">No keywords in this cluster.</p> : null}
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
  const [note, setNote] = useState<string | null>(null);
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
      {canEdit ? <ClusterForm scope={scope} onDone={(c) => setNote(`Cluster “${c.name}” added.`)} /> : null}
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
      {note ? (
        <p role="status" className="text-sm text-slate-800">
          {note}
        </p>
      ) : null}
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
                    <Members scope={scope} cluster={c} canEdit={canEdit} onNote={setNote} />
                  </td>
                </tr>
              ) : null}
            </tbody>
          ))}
          {!loading && clusters.length === 0 ? (
            <tbody>
              <tr>
                <td colSpan={6} className="px-3 py-6 text-center text-slate-500">
                  {canEdit ? "No clusters yet: add one, or run auto-cluster from the Keywords page." : "No clusters yet."}
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
