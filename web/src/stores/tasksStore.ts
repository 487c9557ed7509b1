// Planner tasks: the sector's tasks as a board by status, moved only along
// the transitions the API allows.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

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
  load(scope: Scope, more?: boolean): Promise<void>;
  move(scope: Scope, task: Task, to: TaskStatus): Promise<void>;
}

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useTasksStore = create<TasksState>()((set, get) => ({
  tasks: [],
  next: null,
  loading: false,
  error: null,
  async load(scope, more = false) {
    set({ loading: true, error: null });
    try {
      const { data } = await api.get("/api/v1/planner/tasks", {
        query: { site_id: scope.siteId, sector_id: scope.sectorId ?? undefined, limit: 100, cursor: more ? (get().next ?? undefined) : undefined },
      });
      set({ tasks: more ? [...get().tasks, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    } finally {
      set({ loading: false });
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
}));

const initial = useTasksStore.getState();
onSignedOut(() => useTasksStore.setState(initial, true));
