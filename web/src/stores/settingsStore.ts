// Settings: the account's users (add, change role, deactivate, remove), its
// sites and their sectors (create, edit, delete with the confirm the API asks
// for when they hold data), and the audit log (cursor pages).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { asApiError } from "../lib/asApiError";
import { onSignedOut } from "./authStore";
import { useSiteStore } from "./siteStore";

export type Deletion = Schemas["Deletion"];
export type Job = Schemas["Job"];

/** What a delete answered: done at once, a job doing it, or a confirm needed first. */
export type DeleteOutcome = { kind: "deleted"; removed: number } | { kind: "job"; job: Job } | { kind: "confirm"; message: string };

/** The API asks for `?confirm=true` with a 409 CONFLICT when the site or sector holds data. */
export function needsConfirm(e: unknown): e is ApiError {
  return e instanceof ApiError && e.status === 409 && e.code === "CONFLICT" && /confirm=true/.test(e.message);
}

export function deletionOutcome(d: Deletion): DeleteOutcome {
  return "kind" in d && "status" in d ? { kind: "job", job: d as Job } : { kind: "deleted", removed: (d as Schemas["Deleted"]).items_removed };
}

export interface SettingsState {
  users: Schemas["UserView"][];
  usersNext: string | null;
  usersError: ApiError | null;
  loadUsers(more?: boolean): Promise<void>;
  addUser(input: Schemas["AddUserInput"]): Promise<Schemas["UserView"]>;
  updateUser(id: string, patch: Schemas["UpdateUserInput"]): Promise<void>;
  removeUser(id: string): Promise<void>;

  sites: Schemas["Site"][];
  sitesError: ApiError | null;
  /** The site whose sectors are listed. */
  openSiteId: string | null;
  sectors: Schemas["Sector"][];
  loadSites(): Promise<void>;
  openSite(id: string | null): Promise<void>;
  saveSite(input: Schemas["SiteInput"], id?: string): Promise<void>;
  deleteSite(id: string, confirm?: boolean): Promise<DeleteOutcome>;
  saveSector(siteId: string, input: Schemas["SectorInput"], id?: string): Promise<void>;
  deleteSector(siteId: string, id: string, confirm?: boolean): Promise<DeleteOutcome>;

  audit: Schemas["AuditEntry"][];
  auditNext: string | null;
  auditError: ApiError | null;
  loadAudit(more?: boolean): Promise<void>;
}

async function allPages<T>(page: (cursor?: string) => Promise<{ results: T[]; next_cursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const data = await page(cursor);
    out.push(...data.results);
    cursor = data.next_cursor ?? undefined;
  } while (cursor && out.length < 1000);
  return out;
}

/** The header's site switcher lists sites too: keep it in step after a change. */
const refreshSwitcher = () => void useSiteStore.getState().load();

/** Site writes so far: a site list read before the latest write is stale. */
let sitesWrites = 0;

export const useSettingsStore = create<SettingsState>()((set, get) => ({
  users: [],
  usersNext: null,
  usersError: null,
  async loadUsers(more = false) {
    try {
      const { data } = await api.get("/api/v1/users", { query: { limit: 50, cursor: more ? (get().usersNext ?? undefined) : undefined } });
      set({ users: more ? [...get().users, ...data.results] : data.results, usersNext: data.next_cursor, usersError: null });
    } catch (e) {
      set({ usersError: asApiError(e) });
    }
  },
  async addUser(input) {
    const { data } = await api.post("/api/v1/users", { body: input });
    set({ users: [...get().users, data] });
    return data;
  },
  async updateUser(id, patch) {
    const { data } = await api.patch("/api/v1/users/{id}", { path: { id }, body: patch });
    set({ users: get().users.map((u) => (u.id === id ? data : u)) });
  },
  async removeUser(id) {
    await api.delete("/api/v1/users/{id}", { path: { id } });
    set({ users: get().users.filter((u) => u.id !== id) });
  },

  sites: [],
  sitesError: null,
  openSiteId: null,
  sectors: [],
  async loadSites() {
    const gen = sitesWrites;
    try {
      const sites = await allPages(async (cursor) => (await api.get("/api/v1/sites", { query: { cursor, limit: 100 } })).data);
      // A site saved while this list was on its way: the list may predate it
      // (a slow first load would wipe the site just added); read it again.
      if (gen !== sitesWrites) return get().loadSites();
      set({ sites, sitesError: null });
      const open = sites.find((s) => s.id === get().openSiteId && !s.deleting) ?? sites.find((s) => !s.deleting) ?? null;
      await get().openSite(open?.id ?? null);
    } catch (e) {
      set({ sitesError: asApiError(e) });
    }
  },
  async openSite(id) {
    if (!id) {
      set({ openSiteId: null, sectors: [] });
      return;
    }
    const sectors = await allPages(
      async (cursor) => (await api.get("/api/v1/sites/{site_id}/sectors", { path: { site_id: id }, query: { cursor, limit: 100 } })).data,
    );
    set({ openSiteId: id, sectors });
  },
  async saveSite(input, id) {
    sitesWrites += 1;
    if (id) {
      const { data } = await api.patch("/api/v1/sites/{site_id}", { path: { site_id: id }, body: input });
      set({ sites: get().sites.map((s) => (s.id === id ? data : s)) });
    } else {
      const { data } = await api.post("/api/v1/sites", { body: input });
      set({ sites: [...get().sites, data] });
      await get().openSite(data.id);
    }
    refreshSwitcher();
  },
  async deleteSite(id, confirm = false) {
    try {
      const { data } = await api.delete("/api/v1/sites/{site_id}", { path: { site_id: id }, query: confirm ? { confirm: true } : undefined });
      await get().loadSites();
      refreshSwitcher();
      return deletionOutcome(data);
    } catch (e) {
      if (needsConfirm(e)) return { kind: "confirm", message: e.message };
      throw e;
    }
  },
  async saveSector(siteId, input, id) {
    if (id) {
      await api.patch("/api/v1/sites/{site_id}/sectors/{sector_id}", { path: { site_id: siteId, sector_id: id }, body: input });
    } else {
      await api.post("/api/v1/sites/{site_id}/sectors", { path: { site_id: siteId }, body: input });
    }
    await get().openSite(siteId);
    refreshSwitcher();
  },
  async deleteSector(siteId, id, confirm = false) {
    try {
      const { data } = await api.delete("/api/v1/sites/{site_id}/sectors/{sector_id}", {
        path: { site_id: siteId, sector_id: id },
        query: confirm ? { confirm: true } : undefined,
      });
      await get().openSite(siteId);
      refreshSwitcher();
      return deletionOutcome(data);
    } catch (e) {
      if (needsConfirm(e)) return { kind: "confirm", message: e.message };
      throw e;
    }
  },

  audit: [],
  auditNext: null,
  auditError: null,
  async loadAudit(more = false) {
    try {
      const { data } = await api.get("/api/v1/audit-log", { query: { limit: 25, cursor: more ? (get().auditNext ?? undefined) : undefined } });
      set({ audit: more ? [...get().audit, ...data.results] : data.results, auditNext: data.next_cursor, auditError: null });
    } catch (e) {
      set({ auditError: asApiError(e) });
    }
  },
}));

const initial = useSettingsStore.getState();
onSignedOut(() => useSettingsStore.setState(initial, true));
