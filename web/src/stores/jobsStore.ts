// Jobs: the one the ProgressModal follows (polled with GET /api/v1/jobs/{id}/).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

export type Job = Schemas["Job"];

export const FINISHED: ReadonlySet<Job["status"]> = new Set(["completed", "failed", "cancelled"]);

/** The five stages the modal shows; each job names its own finer phases. */
export const STAGES = ["Initializing", "Processing", "AI Analysis", "Saving", "Completed"] as const;
export type Stage = (typeof STAGES)[number];

/** Which stage a job's phase belongs to. */
export function stageOf(job: Pick<Job, "phase" | "status">): Stage {
  if (job.status === "completed") return "Completed";
  if (job.status === "queued") return "Initializing";
  const p = job.phase.toLowerCase();
  if (p.startsWith("initializ") || p === "queued") return "Initializing";
  if (p.startsWith("saving")) return "Saving";
  if (p === "completed") return "Completed";
  if (/ai analysis|describing|reviewing|writing|revising|generating/.test(p)) return "AI Analysis";
  return "Processing";
}

export interface JobsState {
  /** The jobs list (the Jobs page), newest first as the API gives it. */
  list: Job[];
  listNext: string | null;
  listStatus: Job["status"] | "";
  listError: ApiError | null;
  loadList(status?: Job["status"] | "", more?: boolean): Promise<void>;
  /** The job the ProgressModal follows. */
  job: Job | null;
  error: ApiError | null;
  cancelling: boolean;
  follow(job: Job | string): void;
  poll(): Promise<Job | null>;
  cancel(): Promise<void>;
  close(): void;
}

export const useJobsStore = create<JobsState>()((set, get) => ({
  list: [],
  listNext: null,
  listStatus: "",
  listError: null,
  async loadList(status = get().listStatus, more = false) {
    try {
      const { data } = await api.get("/api/v1/jobs", {
        query: { status: status || undefined, limit: 25, cursor: more ? (get().listNext ?? undefined) : undefined },
      });
      set({ list: more ? [...get().list, ...data.results] : data.results, listNext: data.next_cursor, listStatus: status, listError: null });
    } catch (e) {
      set({ listError: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
    }
  },
  job: null,
  error: null,
  cancelling: false,
  follow(job) {
    if (typeof job === "string") {
      set({ job: { id: job, status: "queued", phase: "Initializing", progress: 0 } as Job, error: null });
    } else {
      set({ job, error: null });
    }
  },
  async poll() {
    const cur = get().job;
    if (!cur) return null;
    try {
      const { data } = await api.get("/api/v1/jobs/{id}", { path: { id: cur.id } });
      if (get().job?.id === cur.id) set({ job: data, error: null });
      return data;
    } catch (e) {
      set({ error: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
      return null;
    }
  },
  async cancel() {
    const cur = get().job;
    if (!cur) return;
    set({ cancelling: true });
    try {
      const { data } = await api.post("/api/v1/jobs/{id}/cancel", { path: { id: cur.id } });
      set({ job: data, error: null });
    } catch (e) {
      set({ error: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
    } finally {
      set({ cancelling: false });
    }
  },
  close() {
    set({ job: null, error: null, cancelling: false });
  },
}));

// Nothing of one session's account is left for the next.
const initial = useJobsStore.getState();
onSignedOut(() => useJobsStore.setState(initial, true));
