// Planner keywords: the server's filters and ordering, loaded a cursor page at
// a time as the table scrolls (infinite scroll; the table renders only the
// visible window of rows, so 10,000 loaded rows stay smooth).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

export type KeywordQuery = NonNullable<
  Parameters<typeof api.get<"/api/v1/planner/keywords">>[1]
>["query"];

export interface KeywordFilters {
  search: string;
  status: Schemas["KeywordStatus"] | "";
  intent: Schemas["Intent"] | "";
  min_volume: string;
  max_volume: string;
  min_difficulty: string;
  max_difficulty: string;
}

export const emptyFilters: KeywordFilters = {
  search: "",
  status: "",
  intent: "",
  min_volume: "",
  max_volume: "",
  min_difficulty: "",
  max_difficulty: "",
};

export interface KeywordsState {
  filters: KeywordFilters;
  ordering: "created_at" | "-created_at";
  pageSize: number;
  /** Every row loaded so far (infinite scroll appends each next page). */
  rows: Schemas["Keyword"][];
  /** Cursor of the page after the loaded rows (null: all loaded). */
  next: string | null;
  loading: boolean;
  error: ApiError | null;
  selected: Set<string>;
  setFilters(f: Partial<KeywordFilters>): void;
  setOrdering(o: "created_at" | "-created_at"): void;
  /** The first page again (filters, ordering or scope changed). */
  load(scope: { siteId: string; sectorId: string | null }): Promise<void>;
  /** Appends the next page (scrolled near the end); no-op while one loads. */
  loadMore(scope: { siteId: string; sectorId: string | null }): Promise<void>;
  toggle(id: string): void;
  /** Selects every loaded row, or none when all are selected. */
  toggleAll(): void;
  /** Bulk status change or delete of the selected keywords (every loaded row
   * may be selected: sent in chunks of the API's limit), applied to the
   * loaded rows without reloading them. */
  bulk(scope: { siteId: string; sectorId: string | null }, action: Schemas["KeywordStatus"] | "delete"): Promise<Schemas["BulkResult"] | null>;
}

/** Most ids one bulk call takes (the API's limit). */
export const BULK_CHUNK = 500;

function num(v: string): number | undefined {
  if (v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** The list request's query for the filters (empty ones left out). */
export function toQuery(f: KeywordFilters, ordering: string, limit: number, scope: { siteId: string; sectorId: string | null }, cursor?: string): KeywordQuery {
  return {
    site_id: scope.siteId,
    sector_id: scope.sectorId ?? undefined,
    search: f.search.trim() || undefined,
    status: f.status || undefined,
    intent: f.intent || undefined,
    min_volume: num(f.min_volume),
    max_volume: num(f.max_volume),
    min_difficulty: num(f.min_difficulty),
    max_difficulty: num(f.max_difficulty),
    ordering: ordering as "created_at" | "-created_at",
    limit,
    cursor: cursor || undefined,
  };
}

const read = latestOnly();

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useKeywordsStore = create<KeywordsState>()((set, get) => ({
  filters: emptyFilters,
  ordering: "-created_at",
  pageSize: 100,
  rows: [],
  next: null,
  loading: false,
  error: null,
  selected: new Set(),
  setFilters(f) {
    set({ filters: { ...get().filters, ...f } });
  },
  setOrdering(o) {
    set({ ordering: o });
  },
  async load(scope) {
    const current = read();
    set({ loading: true, error: null });
    try {
      const { filters, ordering, pageSize } = get();
      const { data } = await api.get("/api/v1/planner/keywords", { query: toQuery(filters, ordering, pageSize, scope) });
      if (!current()) return; // a newer request won
      set({ rows: data.results, next: data.next_cursor, selected: new Set() });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
    }
  },
  async loadMore(scope) {
    const { next, loading } = get();
    if (!next || loading) return;
    const current = read();
    set({ loading: true, error: null });
    try {
      const { filters, ordering, pageSize } = get();
      const { data } = await api.get("/api/v1/planner/keywords", { query: toQuery(filters, ordering, pageSize, scope, next) });
      if (!current()) return; // a reload started meanwhile: its rows win
      const have = new Set(get().rows.map((r) => r.id));
      set({ rows: [...get().rows, ...data.results.filter((r) => !have.has(r.id))], next: data.next_cursor });
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
    const { rows, selected } = get();
    set({ selected: selected.size === rows.length ? new Set() : new Set(rows.map((r) => r.id)) });
  },
  async bulk(scope, action) {
    const ids = [...get().selected];
    if (ids.length === 0) return null;
    set({ error: null });
    const total: Schemas["BulkResult"] = { updated: 0, not_found: [] };
    const done = new Set<string>();
    let failure: unknown = null;
    for (let i = 0; i < ids.length; i += BULK_CHUNK) {
      const chunk = ids.slice(i, i + BULK_CHUNK);
      try {
        const { data } =
          action === "delete"
            ? await api.post("/api/v1/planner/keywords/bulk-delete", { body: { site_id: scope.siteId, ids: chunk } })
            : await api.post("/api/v1/planner/keywords/bulk-update-status", { body: { site_id: scope.siteId, ids: chunk, status: action } });
        total.updated += data.updated;
        total.not_found.push(...data.not_found);
        for (const id of chunk) done.add(id);
      } catch (e) {
        failure = e;
        break;
      }
    }
    // What the server did, applied to the loaded rows: deleted rows (and rows
    // not found any more) leave; changed rows take the new status, or leave
    // when the status filter no longer matches them. Ids of a failed chunk
    // stay selected so the action can be retried.
    const gone = new Set(total.not_found);
    const status = get().filters.status;
    const leaves = (id: string) => done.has(id) && (action === "delete" || gone.has(id) || (status !== "" && status !== action));
    set({
      rows: get()
        .rows.filter((r) => !leaves(r.id))
        .map((r) => (done.has(r.id) && action !== "delete" ? { ...r, status: action } : r)),
      selected: new Set(ids.filter((id) => !done.has(id))),
    });
    if (failure) {
      set({ error: asApiError(failure) });
      return null;
    }
    return total;
  },
}));

// Nothing of one session's account is left for the next.
const initial = useKeywordsStore.getState();
onSignedOut(() => useKeywordsStore.setState(initial, true));
