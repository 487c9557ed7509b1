// Planner ideas: the sector's ideas (server-side status/structure/cluster
// filters, cursor "load more"), a selection for bulk task creation, one task
// from one idea, ideas generated from a cluster (an AI job), and an idea
// edited (title, keywords, structure, intent, length, outline, status) or
// deleted.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

export type Idea = Schemas["Idea"];
type Scope = { siteId: string; sectorId: string | null };

export interface IdeaFilters {
  status: Schemas["IdeaStatus"] | "";
  structure: Schemas["Structure"] | "";
  clusterId: string;
}

export const emptyIdeaFilters: IdeaFilters = { status: "", structure: "", clusterId: "" };
export const STRUCTURES: Schemas["Structure"][] = ["article", "guide", "how_to", "listicle", "comparison", "review", "cluster_hub"];

export interface IdeasState {
  ideas: Idea[];
  next: string | null;
  filters: IdeaFilters;
  selected: Set<string>;
  loading: boolean;
  error: ApiError | null;
  /** What the last create/bulk create did, for people. */
  note: string | null;
  load(scope: Scope, opts?: { filters?: IdeaFilters; more?: boolean }): Promise<void>;
  toggle(id: string): void;
  toggleAll(): void;
  createTask(scope: Scope, idea: Idea): Promise<Schemas["Task"] | null>;
  bulkCreate(scope: Scope): Promise<Schemas["BulkTasks"] | null>;
  generate(scope: Scope, clusterId: string, dryRun: boolean): Promise<Schemas["Submission"]>;
  /** Changes what differs from `idea`, sent with the version seen; throws the API's error (field errors for the form). */
  edit(scope: Scope, idea: Idea, input: IdeaEdit): Promise<Idea>;
  /** Deletes an idea (the API refuses one that has a task); throws the API's error. */
  remove(scope: Scope, idea: Idea): Promise<void>;
}

/** The edit form's values (text as typed). */
export interface IdeaEdit {
  title: string;
  primary_keyword: string;
  /** Comma-separated. */
  secondary_keywords: string;
  structure: Schemas["Structure"];
  intent: Schemas["Intent"];
  content_type: Schemas["ContentType"];
  target_word_count: string;
  status: Schemas["IdeaStatus"];
  outline: { heading: string; covers: string }[];
}

export const INTENTS: Schemas["Intent"][] = ["informational", "navigational", "commercial", "transactional"];
export const CONTENT_TYPES: Schemas["ContentType"][] = ["post", "page", "product"];

export function ideaEdit(i: Idea): IdeaEdit {
  return {
    title: i.title,
    primary_keyword: i.primary_keyword,
    secondary_keywords: (i.secondary_keywords ?? []).join(", "),
    structure: i.structure,
    intent: i.intent,
    content_type: i.content_type,
    target_word_count: String(i.target_word_count),
    status: i.status,
    outline: (i.outline ?? []).map((s) => ({ heading: s.heading, covers: s.covers ?? "" })),
  };
}

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** The PATCH body: only the fields that changed, and the version the page read.
 * An empty length is sent as 0 so the API names the field. */
export function ideaPatch(idea: Idea, e: IdeaEdit): Schemas["IdeaInput"] {
  const was = ideaEdit(idea);
  const body: Schemas["IdeaInput"] = { version: idea.version };
  if (e.title !== was.title) body.title = e.title;
  if (e.primary_keyword !== was.primary_keyword) body.primary_keyword = e.primary_keyword;
  if (JSON.stringify(list(e.secondary_keywords)) !== JSON.stringify(idea.secondary_keywords ?? [])) body.secondary_keywords = list(e.secondary_keywords);
  if (e.structure !== was.structure) body.structure = e.structure;
  if (e.intent !== was.intent) body.intent = e.intent;
  if (e.content_type !== was.content_type) body.content_type = e.content_type;
  if (e.target_word_count.trim() !== was.target_word_count) body.target_word_count = Number.parseInt(e.target_word_count, 10) || 0;
  if (e.status !== was.status) body.status = e.status;
  if (JSON.stringify(e.outline) !== JSON.stringify(was.outline)) body.outline = e.outline;
  return body;
}

const read = latestOnly();

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

/** Ideas that can still become a task (not already queued as one, not archived). */
export const canBecomeTask = (i: Idea) => i.status === "new" && !i.task_id;

export const useIdeasStore = create<IdeasState>()((set, get) => ({
  ideas: [],
  next: null,
  filters: emptyIdeaFilters,
  selected: new Set(),
  loading: false,
  error: null,
  note: null,
  async load(scope, opts = {}) {
    const filters = opts.filters ?? get().filters;
    const current = read();
    set({ loading: true, error: null, filters });
    try {
      const { data } = await api.get("/api/v1/planner/ideas", {
        query: {
          site_id: scope.siteId,
          sector_id: scope.sectorId ?? undefined,
          status: filters.status || undefined,
          structure: filters.structure || undefined,
          cluster_id: filters.clusterId || undefined,
          ordering: "-created_at",
          limit: 50,
          cursor: opts.more ? (get().next ?? undefined) : undefined,
        },
      });
      if (!current()) return;
      const ideas = opts.more ? [...get().ideas, ...data.results] : data.results;
      const ids = new Set(ideas.map((i) => i.id));
      set({ ideas, next: data.next_cursor, selected: new Set([...get().selected].filter((id) => ids.has(id))) });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
    }
  },
  toggle(id) {
    const s = new Set(get().selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    set({ selected: s });
  },
  toggleAll() {
    const open = get().ideas.filter(canBecomeTask).map((i) => i.id);
    const all = open.length > 0 && open.every((id) => get().selected.has(id));
    set({ selected: all ? new Set() : new Set(open) });
  },
  async createTask(scope, idea) {
    set({ error: null, note: null });
    try {
      const { data } = await api.post("/api/v1/planner/ideas/{id}/create-task", { path: { id: idea.id }, body: { site_id: scope.siteId } });
      set({ note: `Task “${data.title}” created.` });
      await get().load(scope);
      return data;
    } catch (e) {
      set({ error: asApiError(e) });
      return null;
    }
  },
  async bulkCreate(scope) {
    const ids = [...get().selected];
    if (ids.length === 0) return null;
    set({ error: null, note: null });
    try {
      const { data } = await api.post("/api/v1/planner/ideas/bulk-create-tasks", { body: { site_id: scope.siteId, ids } });
      const parts = [`${data.created.length} task${data.created.length === 1 ? "" : "s"} created`];
      if (data.conflicts.length) parts.push(`${data.conflicts.length} skipped (${data.conflicts.map((c) => c.error).join("; ")})`);
      if (data.not_found.length) parts.push(`${data.not_found.length} not found`);
      set({ note: `${parts.join(", ")}.`, selected: new Set() });
      await get().load(scope);
      return data;
    } catch (e) {
      set({ error: asApiError(e) });
      return null;
    }
  },
  async generate(scope, clusterId, dryRun) {
    const { data } = await api.post("/api/v1/planner/clusters/{id}/generate-ideas", {
      path: { id: clusterId },
      body: { site_id: scope.siteId, cluster_id: clusterId, dry_run: dryRun },
    });
    return data;
  },
  async edit(scope, idea, input) {
    set({ note: null });
    const { data } = await api.patch("/api/v1/planner/ideas/{id}", { path: { id: idea.id }, query: { site_id: scope.siteId }, body: ideaPatch(idea, input) });
    // An idea whose new status no longer matches the status filter leaves the list.
    const f = get().filters.status;
    const ideas = get()
      .ideas.map((i) => (i.id === data.id ? data : i))
      .filter((i) => i.id !== data.id || !f || i.status === f);
    set({ ideas, note: `Idea “${data.title}” saved.` });
    return data;
  },
  async remove(scope, idea) {
    set({ note: null });
    await api.delete("/api/v1/planner/ideas/{id}", { path: { id: idea.id }, query: { site_id: scope.siteId } });
    const selected = new Set(get().selected);
    selected.delete(idea.id);
    set({ ideas: get().ideas.filter((i) => i.id !== idea.id), selected, note: `Idea “${idea.title}” deleted.` });
  },
}));

const initial = useIdeasStore.getState();
onSignedOut(() => useIdeasStore.setState({ ...initial, selected: new Set() }, true));
