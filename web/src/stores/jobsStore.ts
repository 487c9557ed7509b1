// Jobs: the one the ProgressModal follows (polled with GET /api/v1/jobs/{id}/).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";

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
  job: Job | null;
  error: ApiError | null;
  cancelling: boolean;
  follow(job: Job | string): void;
  poll(): Promise<Job | null>;
  cancel(): Promise<void>;
  close(): void;
}

export const useJobsStore = create<JobsState>()((set, get) => ({
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
