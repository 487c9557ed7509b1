// Automation: the selected site's rules (create/edit through the rule
// builder, delete, run now, dry-run, resume), a rule's executions (cursor
// pages) and the site's staged pipeline with each stage's progress: its
// configuration (create or replace), run now, pause, resume and cancel.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { asApiError } from "../lib/asApiError";
import { onSignedOut } from "./authStore";

export type Rule = Schemas["Rule"];
export type Execution = Schemas["Execution"];

export interface AutomationState {
  siteId: string | null;
  rules: Rule[];
  rulesNext: string | null;
  error: ApiError | null;
  /** The rule whose executions are listed. */
  openRuleId: string | null;
  executions: Execution[];
  executionsNext: string | null;
  /** The last execute / dry-run answer. */
  lastRun: Execution | null;
  pipeline: Schemas["PipelineView"] | null;
  /** Why there is no pipeline view (none configured: 404). */
  pipelineNote: string | null;
  stageRuns: Schemas["StageRun"][] | null;
  load(siteId: string | null): Promise<void>;
  loadMoreRules(): Promise<void>;
  save(body: Schemas["RuleInput"], id?: string): Promise<Rule>;
  remove(id: string): Promise<void>;
  execute(id: string, dryRun: boolean): Promise<void>;
  resume(id: string): Promise<void>;
  openExecutions(id: string | null, more?: boolean): Promise<void>;
  loadPipeline(): Promise<void>;
  runPipeline(): Promise<void>;
  /** Creates or replaces the site's pipeline configuration, then reads the view again. */
  savePipeline(body: Schemas["PipelineInput"]): Promise<void>;
  /** `pause`, `resume` or `cancel` (the API's own routes), then reads the view again. */
  setPipelineState(to: "pause" | "resume" | "cancel"): Promise<void>;
}

export const useAutomationStore = create<AutomationState>()((set, get) => ({
  siteId: null,
  rules: [],
  rulesNext: null,
  error: null,
  openRuleId: null,
  executions: [],
  executionsNext: null,
  lastRun: null,
  pipeline: null,
  pipelineNote: null,
  stageRuns: null,
  async load(siteId) {
    if (siteId !== get().siteId) set({ rules: [], openRuleId: null, executions: [], lastRun: null, pipeline: null, stageRuns: null });
    set({ siteId, error: null });
    if (!siteId) return;
    try {
      const { data } = await api.get("/api/v1/automation/rules", { query: { site_id: siteId, limit: 50 } });
      set({ rules: data.results, rulesNext: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    }
    await get().loadPipeline();
  },
  async loadMoreRules() {
    const { siteId, rulesNext } = get();
    if (!siteId || !rulesNext) return;
    try {
      const { data } = await api.get("/api/v1/automation/rules", { query: { site_id: siteId, limit: 50, cursor: rulesNext } });
      set({ rules: [...get().rules, ...data.results], rulesNext: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
  async save(body, id) {
    const { data } = id
      ? await api.patch("/api/v1/automation/rules/{id}", { path: { id }, body })
      : await api.post("/api/v1/automation/rules", { body });
    set({ rules: id ? get().rules.map((r) => (r.id === id ? data : r)) : [data, ...get().rules] });
    return data;
  },
  async remove(id) {
    await api.delete("/api/v1/automation/rules/{id}", { path: { id } });
    set({ rules: get().rules.filter((r) => r.id !== id), openRuleId: get().openRuleId === id ? null : get().openRuleId });
  },
  async execute(id, dryRun) {
    const { data } = dryRun
      ? await api.post("/api/v1/automation/rules/{id}/dry-run", { path: { id } })
      : await api.post("/api/v1/automation/rules/{id}/execute", { path: { id } });
    set({ lastRun: data });
    if (!dryRun && get().openRuleId === id) await get().openExecutions(id);
  },
  async resume(id) {
    const { data } = await api.post("/api/v1/automation/rules/{id}/resume", { path: { id } });
    set({ rules: get().rules.map((r) => (r.id === id ? (data as Rule) : r)) });
  },
  async openExecutions(id, more = false) {
    if (!id) {
      set({ openRuleId: null, executions: [], executionsNext: null });
      return;
    }
    try {
      const { data } = await api.get("/api/v1/automation/rules/{id}/executions", {
        path: { id },
        query: { limit: 25, cursor: more ? (get().executionsNext ?? undefined) : undefined },
      });
      set({ openRuleId: id, executions: more ? [...get().executions, ...data.results] : data.results, executionsNext: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
  async loadPipeline() {
    const siteId = get().siteId;
    if (!siteId) return;
    try {
      const { data } = await api.get("/api/v1/automation/pipelines", { query: { site_id: siteId } });
      set({ pipeline: data, pipelineNote: null });
    } catch (e) {
      const err = asApiError(e);
      if (err.status === 404) set({ pipeline: null, pipelineNote: "No pipeline is configured for this site." });
      else set({ pipeline: null, pipelineNote: err.message });
    }
  },
  async runPipeline() {
    const siteId = get().siteId;
    if (!siteId) return;
    const { data } = await api.post("/api/v1/automation/pipelines/run", { body: { site_id: siteId } });
    set({ stageRuns: data.results });
    await get().loadPipeline();
  },
  async savePipeline(body) {
    await api.post("/api/v1/automation/pipelines", { body });
    set({ stageRuns: null });
    await get().loadPipeline();
  },
  async setPipelineState(to) {
    const siteId = get().siteId;
    if (!siteId) return;
    const path = to === "pause" ? "/api/v1/automation/pipelines/pause" : to === "resume" ? "/api/v1/automation/pipelines/resume" : "/api/v1/automation/pipelines/cancel";
    await api.post(path, { body: { site_id: siteId } });
    await get().loadPipeline();
  },
}));

const initial = useAutomationStore.getState();
onSignedOut(() => useAutomationStore.setState(initial, true));
