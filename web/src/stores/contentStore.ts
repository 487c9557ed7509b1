// Writer content: the site's content list, and the article open in the
// editor with its versions (and a diff between two), image prompts and
// images. Every call names the site; the API answers 404 for an id that is
// not this account's, which the article page shows as "not found".
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

export type Content = Schemas["Content"];
export type ContentSummary = Schemas["ContentSummary"];
export type Version = Schemas["VersionSummary"];
export type ImageView = Schemas["ImageView"];
type Scope = { siteId: string; sectorId: string | null };

export interface ContentFilters {
  status: Schemas["ContentStatus"] | "";
  search: string;
}

export type Edit = Pick<Schemas["ContentInput"], "title" | "body_html" | "meta_title" | "meta_description" | "focus_keyword" | "slug" | "status" | "note">;

export interface ContentState {
  // The list.
  items: ContentSummary[];
  next: string | null;
  filters: ContentFilters;
  loading: boolean;
  error: ApiError | null;
  load(scope: Scope, opts?: { filters?: ContentFilters; more?: boolean }): Promise<void>;
  // The open article.
  siteId: string | null;
  current: Content | null;
  notFound: boolean;
  articleError: ApiError | null;
  saving: boolean;
  open(siteId: string, id: string): Promise<void>;
  /** Reads the open article again (after a job changed it), keeping the page. */
  reload(): Promise<void>;
  /** Saves an edit made on the version the page read (a stale one → 409, shown). */
  save(edit: Edit): Promise<Content | null>;
  // Versions.
  versions: Version[];
  diff: Schemas["VersionDiff"] | null;
  loadVersions(): Promise<void>;
  compare(from: number, to: number): Promise<void>;
  restore(n: number): Promise<Content | null>;
  // Images.
  prompts: Schemas["ImagePrompt"][];
  images: ImageView[];
  loadMedia(): Promise<void>;
  setFeatured(imageId: string): Promise<void>;
  close(): void;
}

const read = latestOnly();

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

/** A 404 (or an id the API refuses as malformed) means: nothing of yours is there. */
export const isNotFound = (e: unknown) => e instanceof ApiError && (e.status === 404 || (e.status === 400 && "id" in e.fieldErrors));

const closed = { siteId: null, current: null, notFound: false, articleError: null, saving: false, versions: [], diff: null, prompts: [], images: [] };

export const useContentStore = create<ContentState>()((set, get) => ({
  items: [],
  next: null,
  filters: { status: "", search: "" },
  loading: false,
  error: null,
  async load(scope, opts = {}) {
    const filters = opts.filters ?? get().filters;
    const current = read();
    set({ loading: true, error: null, filters });
    try {
      const { data } = await api.get("/api/v1/writer/content", {
        query: {
          site_id: scope.siteId,
          sector_id: scope.sectorId ?? undefined,
          status: filters.status || undefined,
          search: filters.search.trim() || undefined,
          ordering: "-created_at",
          limit: 50,
          cursor: opts.more ? (get().next ?? undefined) : undefined,
        },
      });
      if (!current()) return;
      set({ items: opts.more ? [...get().items, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
    }
  },

  ...closed,
  async open(siteId, id) {
    set({ ...closed, siteId });
    try {
      const { data } = await api.get("/api/v1/writer/content/{id}", { path: { id }, query: { site_id: siteId } });
      if (get().siteId === siteId) set({ current: data });
    } catch (e) {
      if (isNotFound(e)) set({ notFound: true });
      else set({ articleError: asApiError(e) });
    }
  },
  async reload() {
    const { current, siteId } = get();
    if (!current || !siteId) return;
    try {
      const { data } = await api.get("/api/v1/writer/content/{id}", { path: { id: current.id }, query: { site_id: siteId } });
      if (get().current?.id === data.id) set({ current: data });
    } catch (e) {
      set({ articleError: asApiError(e) });
    }
  },
  async save(edit) {
    const { current, siteId } = get();
    if (!current || !siteId) return null;
    set({ saving: true, articleError: null });
    try {
      const { data } = await api.patch("/api/v1/writer/content/{id}", {
        path: { id: current.id },
        query: { site_id: siteId },
        body: { ...edit, site_id: siteId, version: current.version },
      });
      set({ current: data });
      return data;
    } catch (e) {
      set({ articleError: asApiError(e) });
      return null;
    } finally {
      set({ saving: false });
    }
  },

  async loadVersions() {
    const { current, siteId } = get();
    if (!current || !siteId) return;
    try {
      const { data } = await api.get("/api/v1/writer/content/{id}/versions", { path: { id: current.id }, query: { site_id: siteId, ordering: "-number", limit: 100 } });
      set({ versions: data.results });
    } catch (e) {
      set({ articleError: asApiError(e) });
    }
  },
  async compare(from, to) {
    const { current, siteId } = get();
    if (!current || !siteId) return;
    try {
      const { data } = await api.get("/api/v1/writer/content/{id}/versions/diff", { path: { id: current.id }, query: { site_id: siteId, from, to, mode: "html" } });
      set({ diff: data });
    } catch (e) {
      set({ articleError: asApiError(e) });
    }
  },
  async restore(n) {
    const { current, siteId } = get();
    if (!current || !siteId) return null;
    set({ articleError: null });
    try {
      const { data } = await api.post("/api/v1/writer/content/{id}/versions/{n}/restore", {
        path: { id: current.id, n: String(n) },
        query: { site_id: siteId },
        body: { site_id: siteId, version: current.version },
      });
      // The versions list follows `current_version` (the page reads it again).
      set({ current: data, diff: null });
      return data;
    } catch (e) {
      set({ articleError: asApiError(e) });
      return null;
    }
  },

  async loadMedia() {
    const { current, siteId } = get();
    if (!current || !siteId) return;
    try {
      const [p, i] = await Promise.all([
        api.get("/api/v1/writer/image-prompts", { query: { site_id: siteId, content_id: current.id, limit: 100 } }),
        api.get("/api/v1/writer/images", { query: { site_id: siteId, content_id: current.id, limit: 100 } }),
      ]);
      set({ prompts: [...p.data.results].sort((a, b) => a.position - b.position), images: i.data.results });
    } catch (e) {
      set({ articleError: asApiError(e) });
    }
  },
  async setFeatured(imageId) {
    const { current, siteId } = get();
    if (!current || !siteId) return;
    set({ articleError: null });
    try {
      const { data } = await api.post("/api/v1/writer/images/{id}/set-featured", { path: { id: imageId }, query: { site_id: siteId }, body: { site_id: siteId, version: current.version } });
      set({ current: data });
    } catch (e) {
      set({ articleError: asApiError(e) });
    }
  },
  close() {
    set(closed);
  },
}));

const initial = useContentStore.getState();
onSignedOut(() => useContentStore.setState(initial, true));
