// Planner tasks: a board by status. Each card offers only the moves the API
// allows from its state (editors and above); a refused move shows the API's
// reason and the board as it now is. Editors add a task by hand (no idea) in
// the current sector and edit a task's fields (title, brief, keywords,
// length, tone, language, due date, assignee); the API's field errors show
// beside the fields. Editors delete a task after a confirm (a refusal shows
// the API's reason and the card stays). Anyone can show one person's tasks
// only (the API's assignee filter; "Load more" keeps it).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useClustersStore } from "../../stores/clustersStore";
import { useSiteStore } from "../../stores/siteStore";
import { ALLOWED_NEXT, COLUMNS, emptyTask, taskEdit, useTasksStore, type Task, type TaskEdit, type TaskStatus } from "../../stores/tasksStore";
import { canWrite, WriteArticle } from "../writer/WriteArticle";
import { BTN, DANGER, errorFor, OtherErrors, PRIMARY, Select, TextArea } from "./fields";

type Scope = { siteId: string; sectorId: string | null };
const KNOWN = ["title", "brief", "keywords", "target_word_count", "tone", "language", "due_date", "assignee_id", "cluster_id", "sector_id"];

/** Add a task (no `task`) or edit one. No `required` attribute: an empty title
 * goes to the API, whose field error is shown under the field. */
function TaskForm({ scope, task, onDone }: { scope: Scope; task?: Task; onDone: (saved: Task | null) => void }) {
  const { add, edit, people, loadPeople } = useTasksStore();
  const clusters = useClustersStore((s) => s.clusters);
  const loadClusters = useClustersStore((s) => s.load);
  const [f, setF] = useState<TaskEdit>(() => (task ? taskEdit(task) : emptyTask));
  const { error, fields, busy, run } = useSubmit();
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    void loadPeople();
    if (!task) void loadClusters(scope, { status: "", search: "" });
    ref.current?.scrollIntoView?.({ block: "nearest" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [task?.id]);
  const set = (patch: Partial<TaskEdit>) => setF({ ...f, ...patch });
  const p = task ? `task-${task.id}` : "new-task";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const saved = task ? await edit(scope, task, f) : await add(scope, f);
      onDone(saved);
    });
  };
  const assignees: [string, string][] = [["", "nobody"], ...people.map((u): [string, string] => [u.id, u.name || u.email])];
  if (f.assignee_id && !people.some((u) => u.id === f.assignee_id)) assignees.push([f.assignee_id, "someone no longer listed"]);
  return (
    <form ref={ref} onSubmit={submit} noValidate aria-label={task ? `Edit ${task.title}` : "Add a task"} className="max-w-4xl space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 className="text-sm font-semibold">{task ? `Edit “${task.title}”` : "Add a task"}</h2>
      <ErrorBanner error={error} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Task title" name={`${p}-title`} value={f.title} onChange={(v) => set({ title: v })} error={fields.title} />
        <Field
          label="Keywords"
          name={`${p}-keywords`}
          value={f.keywords}
          onChange={(v) => set({ keywords: v })}
          error={errorFor(fields, "keywords")}
          hint="Separated by commas; the first is the primary keyword."
        />
        <Field label="Target words" name={`${p}-words`} type="number" value={f.target_word_count} onChange={(v) => set({ target_word_count: v })} error={fields.target_word_count} />
        <Field label="Tone" name={`${p}-tone`} value={f.tone} onChange={(v) => set({ tone: v })} error={fields.tone} hint="Optional, e.g. friendly." />
        <Field label="Language" name={`${p}-language`} value={f.language} onChange={(v) => set({ language: v })} error={fields.language} hint="A tag such as en or pt-BR." />
        <Field label="Due date" name={`${p}-due`} type="date" value={f.due_date} onChange={(v) => set({ due_date: v })} error={fields.due_date} />
        <Select label="Assignee" name={`${p}-assignee`} value={f.assignee_id} onChange={(v) => set({ assignee_id: v })} error={fields.assignee_id} options={assignees} />
        {task ? null : (
          <Select
            label="Cluster (optional)"
            name={`${p}-cluster`}
            value={f.cluster_id}
            onChange={(v) => set({ cluster_id: v })}
            error={fields.cluster_id}
            options={[["", "none"], ...clusters.map((c): [string, string] => [c.id, c.name])]}
          />
        )}
      </div>
      <TextArea label="Brief" name={`${p}-brief`} rows={3} value={f.brief} onChange={(v) => set({ brief: v })} error={fields.brief} />
      <OtherErrors fields={fields} known={KNOWN} />
      {fields.sector_id ? <p className="text-xs text-red-700">Sector: {fields.sector_id} (choose one in the header).</p> : null}
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          {task ? "Save task" : "Add task"}
        </button>
        <button type="button" className={BTN} onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The confirm before a delete (an idea the task came from goes back to new). */
function ConfirmDelete({ scope, task, onKeep, onDeleted }: { scope: Scope; task: Task; onKeep: () => void; onDeleted: () => void }) {
  const remove = useTasksStore((s) => s.remove);
  const { error, busy, run } = useSubmit();
  return (
    <div role="group" aria-label={`Confirm deleting ${task.title}`} className="mt-2 space-y-1 rounded-md border border-red-200 bg-red-50 p-2 text-xs text-red-900">
      <p>Delete this task for good? Its idea, if any, goes back to new.</p>
      <div className="flex flex-wrap gap-1">
        <button
          type="button"
          disabled={busy}
          className={DANGER}
          onClick={() =>
            void run(async () => {
              await remove(scope, task);
              onDeleted();
            })
          }
        >
          Delete task
        </button>
        <button type="button" className={BTN} onClick={onKeep}>
          Keep
        </button>
      </div>
      <ErrorBanner error={error} />
    </div>
  );
}

const LABEL: Record<TaskStatus, string> = {
  queued: "Queued",
  in_progress: "In progress",
  generated: "Generated",
  review: "Review",
  published: "Published",
  cancelled: "Cancelled",
};

export default function Tasks() {
  const { siteId, sectorId } = useSiteStore();
  const { tasks, next, loading, error, load, move, assigneeId, people, loadPeople } = useTasksStore();
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  // "new" for the add form, a task id for its edit form, null for neither.
  const [form, setForm] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // The card whose delete is being confirmed.
  const [deleting, setDeleting] = useState<string | null>(null);
  const editing = form && form !== "new" ? tasks.find((t) => t.id === form) : undefined;
  const scope = siteId ? { siteId, sectorId } : null;
  useEffect(() => {
    if (scope) void load(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId]);
  useEffect(() => {
    void loadPeople();
  }, [loadPeople]);
  if (!scope) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;
  return (
    <section className="space-y-4">
      <div className="flex items-center gap-3">
        <h1 className="text-xl font-semibold">Tasks</h1>
        {canEdit && form !== "new" ? (
          <button
            type="button"
            className={PRIMARY}
            onClick={() => {
              setForm("new");
              setNote(null);
            }}
          >
            New task
          </button>
        ) : null}
      </div>
      {canEdit && (form === "new" || editing) ? (
        <TaskForm
          key={form ?? ""}
          scope={scope}
          task={editing}
          onDone={(saved) => {
            if (saved) setNote(`Task “${saved.title}” ${editing ? "saved" : "created"}.`);
            setForm(null);
          }}
        />
      ) : null}
      <label className="flex w-fit flex-col text-xs text-slate-600">
        Assignee
        <select
          value={assigneeId}
          onChange={(e) => {
            setNote(null);
            void load(scope, false, e.target.value);
          }}
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
        >
          <option value="">everyone</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name || u.email}
            </option>
          ))}
          {assigneeId && !people.some((u) => u.id === assigneeId) ? <option value={assigneeId}>someone no longer listed</option> : null}
        </select>
      </label>
      <ErrorBanner error={error} />
      {note ? (
        <p role="status" className="text-sm text-slate-800">
          {note}
        </p>
      ) : null}
      {!loading && tasks.length === 0 ? (
        assigneeId ? (
          <p className="text-sm text-slate-600">No tasks assigned to this person in this sector.</p>
        ) : (
          <p className="text-sm text-slate-600">No tasks in this sector yet{canEdit ? ": turn ideas into tasks on the Ideas page, or add one." : "."}</p>
        )
      ) : null}
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-6">
        {COLUMNS.map((col) => {
          const cards = tasks.filter((t) => t.status === col);
          return (
            <section key={col} aria-label={LABEL[col]} className="min-h-24 rounded-lg bg-slate-100 p-2">
              <h2 className="mb-2 text-xs font-semibold uppercase text-slate-700">
                {LABEL[col]} <span className="font-normal">({cards.length})</span>
              </h2>
              <ul className="space-y-2">
                {cards.map((t) => (
                  <li key={t.id} aria-label={t.title} className="rounded-md border border-slate-200 bg-white p-2 text-sm shadow-sm">
                    <div className="font-medium">{t.title}</div>
                    <div className="text-xs text-slate-600">
                      {t.target_word_count} words{t.due_date ? ` · due ${t.due_date}` : ""}
                    </div>
                    {canEdit ? (
                      <button
                        type="button"
                        aria-label={`Edit ${t.title}`}
                        onClick={() => {
                          setForm(t.id);
                          setNote(null);
                        }}
                        className="mt-1 text-xs text-indigo-800 underline"
                      >
                        Edit
                      </button>
                    ) : null}
                    {canEdit ? (
                      <button
                        type="button"
                        aria-label={`Delete ${t.title}…`}
                        disabled={deleting === t.id}
                        onClick={() => {
                          setDeleting(t.id);
                          setNote(null);
                        }}
                        className="ml-3 mt-1 text-xs text-red-800 underline disabled:opacity-50"
                      >
                        Delete…
                      </button>
                    ) : null}
                    {canEdit && deleting === t.id ? (
                      <ConfirmDelete
                        scope={scope}
                        task={t}
                        onKeep={() => setDeleting(null)}
                        onDeleted={() => {
                          setDeleting(null);
                          if (form === t.id) setForm(null);
                          setNote(`Task “${t.title}” deleted.`);
                        }}
                      />
                    ) : null}
                    {canEdit && ALLOWED_NEXT[t.status].length > 0 ? (
                      <div className="mt-2 flex flex-wrap gap-1" role="group" aria-label={`Move ${t.title}`}>
                        {ALLOWED_NEXT[t.status].map((to) => (
                          <button
                            key={to}
                            type="button"
                            onClick={() => void move(scope, t, to)}
                            className="rounded border border-slate-300 px-1.5 py-0.5 text-xs hover:bg-slate-50"
                          >
                            → {LABEL[to]}
                          </button>
                        ))}
                      </div>
                    ) : null}
                    {canEdit && canWrite(t) ? (
                      <div className="mt-2">
                        <WriteArticle task={t} siteId={scope.siteId} onDone={() => void load(scope)} />
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
      {next ? (
        <button type="button" onClick={() => void load(scope, true)} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
