// Integration (WordPress): the selected site's connection (create/update with
// the application password written only), the connection test's checks,
// publishing a content item and syncing (jobs), the sync log (cursor pages),
// and scheduled publishing: one item at a future minute (`status: "future"`),
// a batch spread by an interval, the list of scheduled publishes and cancel.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { asApiError } from "../lib/asApiError";
import { onSignedOut } from "./authStore";

export type Integration = Schemas["IntegrationView"];
export type IntegrationInput = Schemas["IntegrationInput"];
export type ScheduledPublish = Schemas["ScheduledPublish"];

export interface IntegrationState {
  siteId: string | null;
  /** The site whose integration list has been read (null: not yet). */
  loadedFor: string | null;
  integration: Integration | null;
  loading: boolean;
  error: ApiError | null;
  /** The webhook secret: only in the answer that created or rotated it. */
  secret: string | null;
  report: Schemas["TestReport"] | null;
  logs: Schemas["SyncLog"][];
  logsNext: string | null;
  /** Content of the site that can be published. */
  content: Schemas["ContentSummary"][];
  /** The integration's scheduled publishes, newest first (cursor pages). */
  scheduled: ScheduledPublish[];
  scheduledNext: string | null;
  /** The last batch the API scheduled (its items with their times). */
  lastBatch: Schemas["BatchScheduled"] | null;
  load(siteId: string | null): Promise<void>;
  save(input: IntegrationInput): Promise<void>;
  remove(): Promise<void>;
  test(): Promise<void>;
  publish(input: Schemas["PublishInput"]): Promise<Schemas["Job"]>;
  sync(): Promise<Schemas["Job"]>;
  loadLogs(more?: boolean): Promise<void>;
  loadContent(): Promise<void>;
  loadScheduled(more?: boolean): Promise<void>;
  /** `status: "future"` with a local `date`: the job stays queued until its minute; the list is read again. */
  schedule(input: Schemas["PublishInput"]): Promise<Schemas["Job"]>;
  publishBatch(input: Schemas["PublishBatchInput"]): Promise<Schemas["BatchScheduled"]>;
  /** Cancels a scheduled publish; the row shows what the API answered. */
  cancelScheduled(id: string): Promise<void>;
}

/** The body of a save: empty fields are left out, and an empty password on an
 * update keeps the stored one (it is never read back). */
export function integrationBody(form: Record<string, string>, existing: Integration | null, siteId: string): IntegrationInput {
  const body: IntegrationInput = {};
  for (const k of ["base_url", "username", "application_password", "default_status", "default_category"] as const) {
    const v = (form[k] ?? "").trim();
    if (v) body[k] = v;
  }
  if (existing) {
    body.version = existing.version;
    if (!body.default_category && existing.default_category) body.default_category = null;
  } else {
    body.platform = "wordpress";
    body.site_id = siteId;
  }
  return body;
}

export const useIntegrationStore = create<IntegrationState>()((set, get) => ({
  siteId: null,
  loadedFor: null,
  integration: null,
  loading: false,
  error: null,
  secret: null,
  report: null,
  logs: [],
  logsNext: null,
  content: [],
  scheduled: [],
  scheduledNext: null,
  lastBatch: null,
  async load(siteId) {
    if (siteId !== get().siteId)
      set({ loadedFor: null, integration: null, report: null, logs: [], logsNext: null, secret: null, content: [], scheduled: [], scheduledNext: null, lastBatch: null });
    set({ siteId, loading: true, error: null });
    try {
      if (!siteId) return;
      const { data } = await api.get("/api/v1/integration/integrations", { query: { site_id: siteId, limit: 10 } });
      set({ integration: data.results[0] ?? null, loadedFor: siteId });
      if (data.results[0]) await Promise.all([get().loadLogs(), get().loadScheduled()]);
    } catch (e) {
      set({ error: asApiError(e) });
    } finally {
      set({ loading: false });
    }
  },
  async save(input) {
    const cur = get().integration;
    const { data } = cur
      ? await api.patch("/api/v1/integration/integrations/{id}", { path: { id: cur.id }, body: input })
      : await api.post("/api/v1/integration/integrations", { body: input });
    set({ integration: data, secret: data.webhook_secret ?? null, error: null });
  },
  async remove() {
    const cur = get().integration;
    if (!cur) return;
    await api.delete("/api/v1/integration/integrations/{id}", { path: { id: cur.id } });
    set({ integration: null, report: null, logs: [], logsNext: null, secret: null, scheduled: [], scheduledNext: null, lastBatch: null });
  },
  async test() {
    const cur = get().integration;
    if (!cur) return;
    const { data } = await api.post("/api/v1/integration/integrations/{id}/test-connection", { path: { id: cur.id } });
    set({ report: data, integration: data.integration });
    await get().loadLogs();
  },
  async publish(input) {
    const cur = get().integration;
    if (!cur) throw new ApiError("Connect WordPress first.", 0, "CLIENT_ERROR");
    const { data } = await api.post("/api/v1/integration/integrations/{id}/publish", { path: { id: cur.id }, body: input });
    return data;
  },
  async sync() {
    const cur = get().integration;
    if (!cur) throw new ApiError("Connect WordPress first.", 0, "CLIENT_ERROR");
    const { data } = await api.post("/api/v1/integration/integrations/{id}/sync", { path: { id: cur.id } });
    return data;
  },
  async loadLogs(more = false) {
    const cur = get().integration;
    if (!cur) return;
    try {
      const { data } = await api.get("/api/v1/integration/integrations/{id}/logs", {
        path: { id: cur.id },
        query: { limit: 25, cursor: more ? (get().logsNext ?? undefined) : undefined },
      });
      set({ logs: more ? [...get().logs, ...data.results] : data.results, logsNext: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
  async loadScheduled(more = false) {
    const cur = get().integration;
    if (!cur) return;
    try {
      const { data } = await api.get("/api/v1/integration/integrations/{id}/scheduled", {
        path: { id: cur.id },
        query: { limit: 25, cursor: more ? (get().scheduledNext ?? undefined) : undefined },
      });
      set({ scheduled: more ? [...get().scheduled, ...data.results] : data.results, scheduledNext: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
  async schedule(input) {
    const job = await get().publish({ ...input, status: "future" });
    await Promise.all([get().loadScheduled(), get().loadLogs()]);
    return job;
  },
  async publishBatch(input) {
    const cur = get().integration;
    if (!cur) throw new ApiError("Connect WordPress first.", 0, "CLIENT_ERROR");
    const { data } = await api.post("/api/v1/integration/integrations/{id}/publish-batch", { path: { id: cur.id }, body: input });
    set({ lastBatch: data });
    await Promise.all([get().loadScheduled(), get().loadLogs()]);
    return data;
  },
  async cancelScheduled(id) {
    const cur = get().integration;
    if (!cur) return;
    const { data } = await api.delete("/api/v1/integration/integrations/{id}/scheduled/{schedule_id}", { path: { id: cur.id, schedule_id: id } });
    set({ scheduled: get().scheduled.map((s) => (s.id === id ? data : s)) });
    await get().loadLogs();
  },
  async loadContent() {
    const siteId = get().siteId;
    if (!siteId) return;
    try {
      const { data } = await api.get("/api/v1/writer/content", { query: { site_id: siteId, limit: 100 } });
      set({ content: data.results });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
}));

const initial = useIntegrationStore.getState();
onSignedOut(() => useIntegrationStore.setState(initial, true));
