// Planner tasks: the sector's tasks as a board by status, moved only along
// the transitions the API allows; a task added by hand (no idea) in the
// current site and sector, and a task's fields edited (never its status: that
// is the board's moves). The board can show one person's tasks only (the
// API's `assignee_id` filter, kept by "Load more"), and a task can be deleted.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

export type Task = Schemas["Task"];
export type TaskStatus = Schemas["TaskStatus"];
type Scope = { siteId: string; sectorId: string | null };

export const COLUMNS: TaskStatus[] = ["queued", "in_progress", "generated", "review", "published", "cancelled"];

/** The API's rule (`TaskStatus::allowed_next` in shared/src/planner/tasks.rs;
 * a test reads that file so the two cannot drift apart). */
export const ALLOWED_NEXT: Record<TaskStatus, TaskStatus[]> = {
  queued: ["in_progress", "cancelled"],
  in_progress: ["generated", "queued", "cancelled"],
  generated: ["review", "in_progress", "cancelled"],
  review: ["published", "in_progress", "cancelled"],
  published: [],
  cancelled: ["queued"],
};

export interface TasksState {
  tasks: Task[];
  next: string | null;
  loading: boolean;
  error: ApiError | null;
  /** The assignee filter: a person's id, or "" for everyone. */
  assigneeId: string;
  /** Reads the first page (or the next one, `more`) with the current filter;
   * `assigneeId` changes the filter first. */
  load(scope: Scope, more?: boolean, assigneeId?: string): Promise<void>;
  move(scope: Scope, task: Task, to: TaskStatus): Promise<void>;
  /** The account's people, for the assignee picker. */
  people: Schemas["UserView"][];
  loadPeople(): Promise<void>;
  /** Adds a task in the scope's sector; throws the API's error (field errors for the form). */
  add(scope: Scope, input: TaskEdit): Promise<Task>;
  /** Changes what differs from `task`, sent with the version seen; throws the API's error. */
  edit(scope: Scope, task: Task, input: TaskEdit): Promise<Task>;
  /** Deletes the task and drops its card; throws the API's error (the card stays). */
  remove(scope: Scope, task: Task): Promise<void>;
}

/** The task form's values (text as typed; empty = not set). */
export interface TaskEdit {
  title: string;
  brief: string;
  /** Comma-separated; the first is the primary keyword. */
  keywords: string;
  target_word_count: string;
  tone: string;
  language: string;
  /** `YYYY-MM-DD`. */
  due_date: string;
  assignee_id: string;
  /** Only when adding: the API does not move a task to another cluster. */
  cluster_id: string;
}

export const emptyTask: TaskEdit = { title: "", brief: "", keywords: "", target_word_count: "1500", tone: "", language: "en", due_date: "", assignee_id: "", cluster_id: "" };

export function taskEdit(t: Task): TaskEdit {
  return {
    title: t.title,
    brief: t.brief ?? "",
    keywords: (t.keywords ?? []).join(", "),
    target_word_count: String(t.target_word_count),
    tone: t.tone ?? "",
    language: t.language,
    due_date: t.due_date ?? "",
    assignee_id: t.assignee_id ?? "",
    cluster_id: t.cluster_id ?? "",
  };
}

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
/** An empty length is sent as 0, so the API names the field. */
const words = (s: string) => Number.parseInt(s, 10) || 0;

/** The POST body: the scope, the title and length, and whatever else was filled in. */
export function taskCreate(scope: Scope, e: TaskEdit): Schemas["TaskInput"] {
  const body: Schemas["TaskInput"] = { site_id: scope.siteId, sector_id: scope.sectorId ?? undefined, title: e.title, target_word_count: words(e.target_word_count) };
  if (e.brief.trim()) body.brief = e.brief;
  if (list(e.keywords).length) body.keywords = list(e.keywords);
  if (e.tone.trim()) body.tone = e.tone;
  if (e.language.trim() !== "en") body.language = e.language;
  if (e.due_date) body.due_date = e.due_date;
  if (e.assignee_id) body.assignee_id = e.assignee_id;
  if (e.cluster_id) body.cluster_id = e.cluster_id;
  return body;
}

/** The PATCH body: only what changed (a cleared tone, due date or assignee as
 * null), and the version the page read. */
export function taskPatch(t: Task, e: TaskEdit): Schemas["TaskInput"] {
  const was = taskEdit(t);
  const body: Schemas["TaskInput"] = { version: t.version };
  if (e.title !== was.title) body.title = e.title;
  if (e.brief !== was.brief) body.brief = e.brief;
  if (JSON.stringify(list(e.keywords)) !== JSON.stringify(t.keywords ?? [])) body.keywords = list(e.keywords);
  if (e.target_word_count.trim() !== was.target_word_count) body.target_word_count = words(e.target_word_count);
  if (e.tone !== was.tone) body.tone = e.tone.trim() ? e.tone : null;
  if (e.language !== was.language) body.language = e.language;
  if (e.due_date !== was.due_date) body.due_date = e.due_date || null;
  if (e.assignee_id !== was.assignee_id) body.assignee_id = e.assignee_id || null;
  return body;
}

const read = latestOnly();

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useTasksStore = create<TasksState>()((set, get) => ({
  people: [],
  tasks: [],
  next: null,
  loading: false,
  error: null,
  assigneeId: "",
  async load(scope, more = false, assigneeId) {
    if (assigneeId !== undefined) set({ assigneeId });
    const current = read();
    set({ loading: true, error: null });
    try {
      const { data } = await api.get("/api/v1/planner/tasks", {
        query: {
          site_id: scope.siteId,
          sector_id: scope.sectorId ?? undefined,
          assignee_id: get().assigneeId || undefined,
          limit: 100,
          cursor: more ? (get().next ?? undefined) : undefined,
        },
      });
      if (!current()) return;
      set({ tasks: more ? [...get().tasks, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
    }
  },
  async move(scope, task, to) {
    set({ error: null });
    try {
      const { data } = await api.post("/api/v1/planner/tasks/{id}/transition", {
        path: { id: task.id },
        query: { site_id: scope.siteId },
        body: { status: to, version: task.version, site_id: scope.siteId },
      });
      set({ tasks: get().tasks.map((t) => (t.id === task.id ? data : t)) });
    } catch (e) {
      // A stale version or a move someone else made first: show why, then the board as it is now.
      set({ error: asApiError(e) });
      await get().load(scope);
      set({ error: asApiError(e) });
    }
  },
  async loadPeople() {
    try {
      const { data } = await api.get("/api/v1/users", { query: { limit: 100 } });
      set({ people: data.results.filter((u) => u.is_active) });
    } catch {
      // The picker then offers "nobody" only; the form still works.
      set({ people: [] });
    }
  },
  async add(scope, input) {
    const { data } = await api.post("/api/v1/planner/tasks", { body: taskCreate(scope, input) });
    await get().load(scope);
    return data;
  },
  async edit(scope, task, input) {
    const { data } = await api.patch("/api/v1/planner/tasks/{id}", { path: { id: task.id }, query: { site_id: scope.siteId }, body: taskPatch(task, input) });
    set({ tasks: get().tasks.map((t) => (t.id === data.id ? data : t)) });
    return data;
  },
  async remove(scope, task) {
    await api.delete("/api/v1/planner/tasks/{id}", { path: { id: task.id }, query: { site_id: scope.siteId } });
    set({ tasks: get().tasks.filter((t) => t.id !== task.id) });
  },
}));

const initial = useTasksStore.getState();
onSignedOut(() => useTasksStore.setState(initial, true));
