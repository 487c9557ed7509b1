// Planner clusters: the sector's clusters (server-side status and search,
// cursor "load more"), one cluster's members, membership changes, and the
// cluster itself: add, edit (name, description), delete (its keywords become
// unclustered), and re-cluster its keywords (an AI job).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

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
  /** Adds a cluster to the scope's sector; throws the API's error (field errors for the form). */
  add(scope: Scope, input: ClusterEdit): Promise<Schemas["Cluster"]>;
  /** Changes what differs from `cluster`, sent with the version seen; throws the API's error. */
  edit(scope: Scope, cluster: Schemas["Cluster"], input: ClusterEdit): Promise<Schemas["Cluster"]>;
  /** Deletes the cluster (its keywords stay, unclustered); throws the API's error. */
  remove(scope: Scope, cluster: Schemas["Cluster"]): Promise<Schemas["ClusterDeleted"]>;
  /** Re-clusters one cluster's keywords: the estimate (dry run) or the queued job. */
  autoCluster(scope: Scope, clusterId: string, dryRun: boolean): Promise<Schemas["Submission"]>;
}

export interface ClusterEdit {
  name: string;
  description: string;
}

/** The PATCH body: only what changed, and the version the page read. */
export function clusterPatch(c: Schemas["Cluster"], input: ClusterEdit): Schemas["ClusterInput"] {
  const body: Schemas["ClusterInput"] = { version: c.version };
  if (input.name !== c.name) body.name = input.name;
  if (input.description !== (c.description ?? "")) body.description = input.description;
  return body;
}

const read = latestOnly();

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
    const current = read();
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
      if (!current()) return;
      set({ clusters: opts.more ? [...get().clusters, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
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
  async add(scope, input) {
    const { data } = await api.post("/api/v1/planner/clusters", {
      body: { site_id: scope.siteId, sector_id: scope.sectorId ?? undefined, name: input.name, description: input.description || undefined },
    });
    await get().load(scope);
    return data;
  },
  async edit(scope, cluster, input) {
    const { data } = await api.patch("/api/v1/planner/clusters/{id}", {
      path: { id: cluster.id },
      query: { site_id: scope.siteId },
      body: clusterPatch(cluster, input),
    });
    set({ clusters: get().clusters.map((c) => (c.id === data.id ? data : c)) });
    return data;
  },
  async remove(scope, cluster) {
    const { data } = await api.delete("/api/v1/planner/clusters/{id}", { path: { id: cluster.id }, query: { site_id: scope.siteId } });
    const open = get().openId === cluster.id;
    set({ clusters: get().clusters.filter((c) => c.id !== cluster.id), ...(open ? { openId: null, members: [] } : {}) });
    return data;
  },
  async autoCluster(scope, clusterId, dryRun) {
    const { data } = await api.post("/api/v1/planner/clusters/{id}/auto-cluster", {
      path: { id: clusterId },
      body: { site_id: scope.siteId, dry_run: dryRun },
    });
    return data;
  },
}));

// Nothing of one session's account is left for the next.
const initial = useClustersStore.getState();
onSignedOut(() => useClustersStore.setState(initial, true));
