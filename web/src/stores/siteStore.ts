// The site and sector everything below the header works in. The choice (ids
// only) is remembered in localStorage so a new session opens where the last
// one left off.
import { create } from "zustand";
import { api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

const KEY = "igny8.scope";

interface Scope {
  siteId: string | null;
  sectorId: string | null;
}

function remembered(): Scope {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "null") as Scope | null;
    return { siteId: v?.siteId ?? null, sectorId: v?.sectorId ?? null };
  } catch {
    return { siteId: null, sectorId: null };
  }
}

function remember(scope: Scope) {
  try {
    localStorage.setItem(KEY, JSON.stringify(scope));
  } catch {
    /* storage unavailable: the choice lasts for this page only */
  }
}

export interface SiteState extends Scope {
  sites: Schemas["Site"][];
  sectors: Schemas["Sector"][];
  loading: boolean;
  error: string | null;
  /** Lists the sites, keeps the remembered one if it still exists, loads its sectors. */
  load(): Promise<void>;
  selectSite(id: string): Promise<void>;
  selectSector(id: string): void;
  reset(): void;
}

async function allSites(): Promise<Schemas["Site"][]> {
  const out: Schemas["Site"][] = [];
  let cursor: string | undefined;
  do {
    const { data } = await api.get("/api/v1/sites", { query: { cursor, limit: 100 } });
    out.push(...data.results);
    cursor = data.next_cursor ?? undefined;
  } while (cursor && out.length < 1000);
  return out;
}

export const useSiteStore = create<SiteState>()((set, get) => ({
  ...remembered(),
  sites: [],
  sectors: [],
  loading: false,
  error: null,
  async load() {
    set({ loading: true, error: null });
    try {
      const sites = (await allSites()).filter((s) => !s.deleting);
      const keep = sites.find((s) => s.id === get().siteId) ?? sites[0] ?? null;
      set({ sites });
      if (keep) {
        await get().selectSite(keep.id);
      } else {
        set({ siteId: null, sectorId: null, sectors: [] });
      }
    } catch (e) {
      set({ error: (e as Error).message });
    } finally {
      set({ loading: false });
    }
  },
  async selectSite(id) {
    const { data } = await api.get("/api/v1/sites/{site_id}/sectors", { path: { site_id: id }, query: { limit: 100 } });
    const sectors = data.results.filter((s) => !s.deleting);
    const sectorId = sectors.find((s) => s.id === get().sectorId)?.id ?? sectors[0]?.id ?? null;
    set({ siteId: id, sectors, sectorId });
    remember({ siteId: id, sectorId });
  },
  selectSector(id) {
    set({ sectorId: id });
    remember({ siteId: get().siteId, sectorId: id });
  },
  reset() {
    set({ sites: [], sectors: [], error: null });
  },
}));

// A new session lists its own sites (the remembered choice is only ids and
// falls back to the first site when it is not one of them).
onSignedOut(() => useSiteStore.setState({ sites: [], sectors: [], error: null, loading: false }));
