// Planner keywords: one page at a time from the server, with the server's
// filters and ordering, and cursor paging (a stack of the cursors behind the
// current page gives "previous").
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

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
  rows: Schemas["Keyword"][];
  /** Cursors of the pages before the current one ("" is the first page). */
  behind: string[];
  current: string;
  next: string | null;
  loading: boolean;
  error: ApiError | null;
  selected: Set<string>;
  setFilters(f: Partial<KeywordFilters>): void;
  setOrdering(o: "created_at" | "-created_at"): void;
  load(scope: { siteId: string; sectorId: string | null }, cursor?: string): Promise<void>;
  nextPage(scope: { siteId: string; sectorId: string | null }): Promise<void>;
  prevPage(scope: { siteId: string; sectorId: string | null }): Promise<void>;
  toggle(id: string): void;
  toggleAll(): void;
  /** Bulk status change or delete of the selected keywords, then the page again. */
  bulk(scope: { siteId: string; sectorId: string | null }, action: Schemas["KeywordStatus"] | "delete"): Promise<Schemas["BulkResult"] | null>;
}

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

let seq = 0;

export const useKeywordsStore = create<KeywordsState>()((set, get) => ({
  filters: emptyFilters,
  ordering: "-created_at",
  pageSize: 50,
  rows: [],
  behind: [],
  current: "",
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
  async load(scope, cursor = "") {
    const mine = ++seq;
    set({ loading: true, error: null });
    try {
      const { filters, ordering, pageSize } = get();
      const { data } = await api.get("/api/v1/planner/keywords", { query: toQuery(filters, ordering, pageSize, scope, cursor) });
      if (mine !== seq) return; // a newer request won
      set({ rows: data.results, next: data.next_cursor, current: cursor, selected: new Set() });
      if (!cursor) set({ behind: [] });
    } catch (e) {
      if (mine === seq) set({ error: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
    } finally {
      if (mine === seq) set({ loading: false });
    }
  },
  async nextPage(scope) {
    const { next, current, behind } = get();
    if (!next) return;
    await get().load(scope, next);
    set({ behind: [...behind, current] });
  },
  async prevPage(scope) {
    const behind = [...get().behind];
    if (behind.length === 0) return;
    const prev = behind.pop()!;
    await get().load(scope, prev);
    set({ behind });
  },
  toggle(id) {
    const s = new Set(get().selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    set({ selected: s });
  },
  async bulk(scope, action) {
    const ids = [...get().selected];
    if (ids.length === 0) return null;
    set({ error: null });
    try {
      const { data } =
        action === "delete"
          ? await api.post("/api/v1/planner/keywords/bulk-delete", { body: { site_id: scope.siteId, ids } })
          : await api.post("/api/v1/planner/keywords/bulk-update-status", { body: { site_id: scope.siteId, ids, status: action } });
      await get().load(scope, get().current);
      return data;
    } catch (e) {
      set({ error: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
      return null;
    }
  },
  toggleAll() {
    const { rows, selected } = get();
    set({ selected: selected.size === rows.length ? new Set() : new Set(rows.map((r) => r.id)) });
  },
}));

// Nothing of one session's account is left for the next.
const initial = useKeywordsStore.getState();
onSignedOut(() => useKeywordsStore.setState(initial, true));
