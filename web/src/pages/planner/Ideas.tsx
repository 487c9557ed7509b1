// Planner ideas: generate ideas from a cluster (cost first, then the job's
// ProgressModal), filter the sector's ideas, read each one's outline and
// structure, see cannibalization flags, and turn ideas into writing tasks one
// at a time or in bulk (editors and above).
import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../api";
import { AiAction } from "../../components/AiAction";
import { ErrorBanner } from "../../components/Errors";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useClustersStore } from "../../stores/clustersStore";
import { canBecomeTask, emptyIdeaFilters, STRUCTURES, useIdeasStore, type Idea } from "../../stores/ideasStore";
import { useSiteStore } from "../../stores/siteStore";

type Scope = { siteId: string; sectorId: string | null };
const label = (s: string) => s.replace(/_/g, " ");

function Generate({ scope, onDone }: { scope: Scope; onDone: () => void }) {
  const clusters = useClustersStore((s) => s.clusters);
  const generate = useIdeasStore((s) => s.generate);
  const [clusterId, setClusterId] = useState("");
  const picked = clusters.find((c) => c.id === clusterId) ?? clusters[0];
  if (clusters.length === 0) return <p className="text-sm text-slate-600">No clusters yet: auto-cluster the keywords first, then generate ideas from a cluster.</p>;
  return (
    <div className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-white p-3">
      <label htmlFor="gen-cluster" className="text-sm text-slate-700">
        Cluster
      </label>
      <select id="gen-cluster" value={picked?.id ?? ""} onChange={(e) => setClusterId(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
        {clusters.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.keyword_count} keywords)
          </option>
        ))}
      </select>
      {picked ? (
        <AiAction label="Generate ideas" what={`Generate ideas for “${picked.name}”`} submit={(dry) => generate(scope, picked.id, dry)} onFinished={onDone} />
      ) : null}
    </div>
  );
}

function Outline({ idea }: { idea: Idea }) {
  const sections = idea.outline ?? [];
  if (sections.length === 0) return <p className="text-sm text-slate-600">This idea has no outline.</p>;
  return (
    <ol aria-label={`Outline of ${idea.title}`} className="list-decimal space-y-1 pl-6 text-sm">
      {sections.map((s, i) => (
        <li key={i}>
          <span className="font-medium">{s.heading}</span>
          {s.covers ? <span className="text-slate-600"> — {s.covers}</span> : null}
        </li>
      ))}
    </ol>
  );
}

function IdeaCard({ scope, idea, canEdit }: { scope: Scope; idea: Idea; canEdit: boolean }) {
  const { selected, toggle, createTask } = useIdeasStore();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const c = idea.cannibalization;
  return (
    <li className="space-y-2 rounded-lg border border-slate-200 bg-white p-3" aria-label={idea.title}>
      <div className="flex items-start gap-3">
        {canEdit && canBecomeTask(idea) ? (
          <input type="checkbox" className="mt-1" aria-label={`Select ${idea.title}`} checked={selected.has(idea.id)} onChange={() => toggle(idea.id)} />
        ) : null}
        <div className="min-w-0 flex-1">
          <h2 className="font-medium">{idea.title}</h2>
          <p className="text-xs text-slate-600">
            <span className="mr-3">Keyword: {idea.primary_keyword}</span>
            <span className="mr-3">Structure: {label(idea.structure)}</span>
            <span className="mr-3">Intent: {idea.intent}</span>
            <span className="mr-3">{idea.target_word_count} words</span>
            <span>Status: {idea.status}</span>
          </p>
          {idea.secondary_keywords?.length ? <p className="text-xs text-slate-600">Also: {idea.secondary_keywords.join(", ")}</p> : null}
        </div>
        <div className="flex shrink-0 items-center gap-2">
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            Outline ({idea.outline?.length ?? 0})
          </button>
          {idea.task_id ? (
            <Link to="/planner/tasks" className="text-sm text-indigo-800 underline">
              Task created
            </Link>
          ) : canEdit && canBecomeTask(idea) ? (
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                await createTask(scope, idea);
                setBusy(false);
              }}
              className="rounded-md bg-indigo-600 px-2 py-1 text-sm text-white disabled:opacity-50"
            >
              Create task
            </button>
          ) : null}
        </div>
      </div>
      {c ? (
        <p role="note" aria-label="Cannibalization" className="rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-900">
          Possible cannibalization ({label(c.reason)}, {Math.round(c.similarity * 100)}% similar) with the {label(c.conflicts_with.kind)} “{c.conflicts_with.title}”: {c.message}
        </p>
      ) : null}
      {open ? <Outline idea={idea} /> : null}
    </li>
  );
}

export default function Ideas() {
  const { siteId, sectorId } = useSiteStore();
  const { ideas, next, filters, selected, loading, error, note, load, toggleAll, bulkCreate } = useIdeasStore();
  const clusters = useClustersStore((s) => s.clusters);
  const loadClusters = useClustersStore((s) => s.load);
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  const scope = siteId ? { siteId, sectorId } : null;
  useEffect(() => {
    if (!scope) return;
    void load(scope);
    void loadClusters(scope, { status: "", search: "" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId]);
  if (!scope) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;
  const setFilter = (f: Partial<typeof filters>) => void load(scope, { filters: { ...filters, ...f } });
  const open = ideas.filter(canBecomeTask);
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Ideas</h1>
      {canEdit ? <Generate scope={scope} onDone={() => void load(scope)} /> : null}
      <form aria-label="Idea filters" onSubmit={(e) => e.preventDefault()} className="flex flex-wrap items-end gap-3 text-xs text-slate-600">
        <label className="flex flex-col">
          Status
          <select value={filters.status} onChange={(e) => setFilter({ status: e.target.value as typeof filters.status })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            <option value="">any</option>
            <option value="new">new</option>
            <option value="queued">queued</option>
            <option value="archived">archived</option>
          </select>
        </label>
        <label className="flex flex-col">
          Structure
          <select value={filters.structure} onChange={(e) => setFilter({ structure: e.target.value as Schemas["Structure"] | "" })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            <option value="">any</option>
            {STRUCTURES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col">
          Cluster
          <select value={filters.clusterId} onChange={(e) => setFilter({ clusterId: e.target.value })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            <option value="">any</option>
            {clusters.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load(scope, { filters: emptyIdeaFilters })} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm text-slate-800">
          Clear
        </button>
      </form>
      <ErrorBanner error={error} />
      {note ? (
        <p role="status" className="text-sm text-slate-800">
          {note}
        </p>
      ) : null}
      {canEdit && open.length > 0 ? (
        <div className="flex items-center gap-3 text-sm">
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={open.every((i) => selected.has(i.id))} onChange={toggleAll} />
            Select all open ideas
          </label>
          <button type="button" disabled={selected.size === 0} onClick={() => void bulkCreate(scope)} className="rounded-md bg-slate-800 px-3 py-1.5 text-white disabled:opacity-50">
            Create tasks for {selected.size} selected
          </button>
        </div>
      ) : null}
      {!loading && ideas.length === 0 ? <p className="text-sm text-slate-600">No ideas match: generate some from a cluster.</p> : null}
      <ul aria-label="Ideas list" className="space-y-2">
        {ideas.map((i) => (
          <IdeaCard key={i.id} scope={scope} idea={i} canEdit={canEdit} />
        ))}
      </ul>
      {next ? (
        <button type="button" onClick={() => void load(scope, { more: true })} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
