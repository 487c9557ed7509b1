// Planner clusters: the sector's clusters (server-side status and search,
// cursor "load more"), one cluster's members, and membership changes.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

type Scope = { siteId: string; sectorId: string | null };

export interface ClustersState {
  clusters: Schemas["Cluster"][];
  next: string | null;
  status: Schemas["ClusterStatus"] | "";
  search: string;
  openId: string | null;
  members: Schemas["Keyword"][];
  loading: boolean;
  error: ApiError | null;
  load(scope: Scope, opts?: { status?: Schemas["ClusterStatus"] | ""; search?: string; more?: boolean }): Promise<void>;
  open(scope: Scope, id: string | null): Promise<void>;
  /** Removes keywords from the open cluster, or moves them to `target`. */
  change(scope: Scope, keywordIds: string[], target?: string): Promise<Schemas["MembershipResult"] | null>;
}

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useClustersStore = create<ClustersState>()((set, get) => ({
  clusters: [],
  next: null,
  status: "",
  search: "",
  openId: null,
  members: [],
  loading: false,
  error: null,
  async load(scope, opts = {}) {
    const status = opts.status ?? get().status;
    const search = opts.search ?? get().search;
    set({ loading: true, error: null, status, search });
    try {
      const { data } = await api.get("/api/v1/planner/clusters", {
        query: {
          site_id: scope.siteId,
          sector_id: scope.sectorId ?? undefined,
          status: status || undefined,
          search: search.trim() || undefined,
          limit: 50,
          cursor: opts.more ? (get().next ?? undefined) : undefined,
        },
      });
      set({ clusters: opts.more ? [...get().clusters, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      set({ error: asApiError(e) });
    } finally {
      set({ loading: false });
    }
  },
  async open(scope, id) {
    set({ openId: id, members: [] });
    if (!id) return;
    try {
      const { data } = await api.get("/api/v1/planner/keywords", {
        query: { site_id: scope.siteId, sector_id: scope.sectorId ?? undefined, cluster_id: id, limit: 100 },
      });
      if (get().openId === id) set({ members: data.results });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
  async change(scope, keywordIds, target) {
    const id = get().openId;
    if (!id || keywordIds.length === 0) return null;
    try {
      const body = { site_id: scope.siteId, keyword_ids: keywordIds };
      const { data } = target
        ? await api.post("/api/v1/planner/clusters/{id}/move-keywords", { path: { id }, body: { ...body, target_cluster_id: target } })
        : await api.post("/api/v1/planner/clusters/{id}/remove-keywords", { path: { id }, body });
      await Promise.all([get().open(scope, id), get().load(scope)]);
      return data;
    } catch (e) {
      set({ error: asApiError(e) });
      return null;
    }
  },
}));

// Nothing of one session's account is left for the next.
const initial = useClustersStore.getState();
onSignedOut(() => useClustersStore.setState(initial, true));
