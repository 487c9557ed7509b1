// Planner ideas: generate ideas from a cluster (cost first, then the job's
// ProgressModal), filter the sector's ideas, read each one's outline and
// structure, see cannibalization flags, turn ideas into writing tasks one
// at a time or in bulk, edit an idea (title, keywords, structure, intent,
// type, length, outline, status) and delete one after a confirm (editors and
// above).
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../api";
import { AiAction } from "../../components/AiAction";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useClustersStore } from "../../stores/clustersStore";
import { canBecomeTask, CONTENT_TYPES, emptyIdeaFilters, ideaEdit, INTENTS, STRUCTURES, useIdeasStore, type Idea, type IdeaEdit } from "../../stores/ideasStore";
import { useSiteStore } from "../../stores/siteStore";
import { BTN, DANGER, errorFor, OtherErrors, PRIMARY, Select, TextArea } from "./fields";

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

const KNOWN = ["title", "primary_keyword", "secondary_keywords", "structure", "intent", "content_type", "target_word_count", "status", "outline"];

/** The idea's fields as the PATCH takes them; the API's field errors beside each
 * (an outline section's beside its heading or what it covers). */
function IdeaForm({ scope, idea, onDone }: { scope: Scope; idea: Idea; onDone: () => void }) {
  const edit = useIdeasStore((s) => s.edit);
  const [f, setF] = useState<IdeaEdit>(() => ideaEdit(idea));
  const { error, fields, busy, run } = useSubmit();
  const p = `idea-${idea.id}`;
  const set = (patch: Partial<IdeaEdit>) => setF({ ...f, ...patch });
  const setSection = (i: number, patch: Partial<IdeaEdit["outline"][number]>) => set({ outline: f.outline.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await edit(scope, idea, f);
      onDone();
    });
  };
  const statuses: [string, string][] = (idea.status === "queued" ? ["queued", "new", "archived"] : ["new", "archived"]).map((s) => [s, s]);
  return (
    <form onSubmit={submit} noValidate aria-label={`Edit ${idea.title}`} className="space-y-3 border-t border-slate-100 pt-3">
      <ErrorBanner error={error} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Title" name={`${p}-title`} value={f.title} onChange={(v) => set({ title: v })} error={fields.title} />
        <Field label="Primary keyword" name={`${p}-primary`} value={f.primary_keyword} onChange={(v) => set({ primary_keyword: v })} error={fields.primary_keyword} />
        <Field
          label="Secondary keywords"
          name={`${p}-secondary`}
          value={f.secondary_keywords}
          onChange={(v) => set({ secondary_keywords: v })}
          error={errorFor(fields, "secondary_keywords")}
          hint="Separated by commas."
        />
        <Field label="Target words" name={`${p}-words`} type="number" value={f.target_word_count} onChange={(v) => set({ target_word_count: v })} error={fields.target_word_count} />
        <Select label="Structure" name={`${p}-structure`} value={f.structure} onChange={(v) => set({ structure: v as IdeaEdit["structure"] })} error={fields.structure} options={STRUCTURES.map((s) => [s, label(s)])} />
        <Select label="Intent" name={`${p}-intent`} value={f.intent} onChange={(v) => set({ intent: v as IdeaEdit["intent"] })} error={fields.intent} options={INTENTS.map((s) => [s, s])} />
        <Select label="Content type" name={`${p}-type`} value={f.content_type} onChange={(v) => set({ content_type: v as IdeaEdit["content_type"] })} error={fields.content_type} options={CONTENT_TYPES.map((s) => [s, s])} />
        <Select
          label="Status"
          name={`${p}-status`}
          value={f.status}
          onChange={(v) => set({ status: v as IdeaEdit["status"] })}
          error={fields.status}
          options={statuses}
          disabled={!!idea.task_id}
          hint={idea.task_id ? "It follows the idea's task." : "Queued comes from creating a task."}
        />
      </div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-700">Outline (H2 sections)</legend>
        {fields.outline ? <p className="text-xs text-red-700">{fields.outline}</p> : null}
        {f.outline.map((s, i) => (
          <div key={i} className="grid gap-2 rounded-md border border-slate-200 p-2 sm:grid-cols-[1fr_1fr_auto]">
            <Field label={`Section ${i + 1} heading`} name={`${p}-h${i}`} value={s.heading} onChange={(v) => setSection(i, { heading: v })} error={fields[`outline[${i}].heading`]} />
            <TextArea label={`Section ${i + 1} covers`} name={`${p}-c${i}`} rows={1} value={s.covers} onChange={(v) => setSection(i, { covers: v })} error={fields[`outline[${i}].covers`]} />
            <button type="button" className={`${BTN} self-end`} onClick={() => set({ outline: f.outline.filter((_, j) => j !== i) })}>
              Remove section {i + 1}
            </button>
          </div>
        ))}
        <button type="button" className={BTN} onClick={() => set({ outline: [...f.outline, { heading: "", covers: "" }] })}>
          Add section
        </button>
      </fieldset>
      <OtherErrors fields={fields} known={KNOWN} />
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          Save idea
        </button>
        <button type="button" className={BTN} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The confirm before a delete (the API refuses to delete an idea that has a
 * task, so the card does not offer it for one). */
function ConfirmDelete({ scope, idea, onKeep }: { scope: Scope; idea: Idea; onKeep: () => void }) {
  const remove = useIdeasStore((s) => s.remove);
  const { error, busy, run } = useSubmit();
  return (
    <div role="group" aria-label={`Confirm deleting ${idea.title}`} className="flex flex-wrap items-center gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
      <span>Delete this idea and its outline for good? Nothing else changes.</span>
      <button type="button" disabled={busy} className={DANGER} onClick={() => void run(() => remove(scope, idea))}>
        Delete idea
      </button>
      <button type="button" className={BTN} onClick={onKeep}>
        Keep
      </button>
      <ErrorBanner error={error} />
    </div>
  );
}

function IdeaCard({ scope, idea, canEdit }: { scope: Scope; idea: Idea; canEdit: boolean }) {
  const { selected, toggle, createTask } = useIdeasStore();
  const [open, setOpen] = useState(false);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
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
          {canEdit ? (
            <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)} className={BTN}>
              Edit
            </button>
          ) : null}
          {canEdit && !idea.task_id ? (
            <button type="button" disabled={deleting} onClick={() => setDeleting(true)} className={DANGER}>
              Delete…
            </button>
          ) : null}
        </div>
      </div>
      {deleting ? <ConfirmDelete scope={scope} idea={idea} onKeep={() => setDeleting(false)} /> : null}
      {c ? (
        <p role="note" aria-label="Cannibalization" className="rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-900">
          Possible cannibalization ({label(c.reason)}, {Math.round(c.similarity * 100)}% similar) with the {label(c.conflicts_with.kind)} “{c.conflicts_with.title}”: {c.message}
        </p>
      ) : null}
      {open ? <Outline idea={idea} /> : null}
      {editing ? <IdeaForm scope={scope} idea={idea} onDone={() => setEditing(false)} /> : null}
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
