// Credits and plan: the balance in the header (two pools: plan and bonus
// credits), and for the Credits page the ledger (filters, cursor paging), the
// usage by month and function, the subscription and the plans.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

export interface LedgerFilters {
  type: Schemas["TxnType"] | "";
  from: string;
  to: string;
}

export interface CreditsState {
  balance: Schemas["Balance"] | null;
  error: string | null;
  ledger: Schemas["CreditTransaction"][];
  ledgerNext: string | null;
  ledgerFilters: LedgerFilters;
  usage: Schemas["UsageRow"][];
  subscription: Schemas["SubscriptionView"] | null;
  plans: Schemas["Plan"][];
  pageError: ApiError | null;
  loading: boolean;
  load(): Promise<void>;
  loadPage(): Promise<void>;
  loadLedger(filters?: LedgerFilters, more?: boolean): Promise<void>;
  /** Owner only: change the plan; answers what happened, for the page to say. */
  changePlan(plan: string): Promise<string>;
}

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useCreditsStore = create<CreditsState>()((set, get) => ({
  balance: null,
  error: null,
  ledger: [],
  ledgerNext: null,
  ledgerFilters: { type: "", from: "", to: "" },
  usage: [],
  subscription: null,
  plans: [],
  pageError: null,
  loading: false,
  async load() {
    try {
      const { data } = await api.get("/api/v1/credits/balance");
      set({ balance: data, error: null });
    } catch (e) {
      set({ error: (e as Error).message });
    }
  },
  async loadPage() {
    set({ loading: true, pageError: null });
    try {
      const [sub, usage, plans] = await Promise.all([
        api.get("/api/v1/subscription"),
        api.get("/api/v1/credits/usage"),
        api.get("/api/v1/plans"),
        get().loadLedger(get().ledgerFilters),
        get().load(),
      ]);
      set({ subscription: sub.data, usage: usage.data.results, plans: plans.data.results });
    } catch (e) {
      set({ pageError: asApiError(e) });
    } finally {
      set({ loading: false });
    }
  },
  async loadLedger(filters = get().ledgerFilters, more = false) {
    try {
      const { data } = await api.get("/api/v1/credits/transactions", {
        query: {
          type: filters.type || undefined,
          from: filters.from || undefined,
          to: filters.to || undefined,
          limit: 25,
          cursor: more ? (get().ledgerNext ?? undefined) : undefined,
        },
      });
      set({ ledgerFilters: filters, ledger: more ? [...get().ledger, ...data.results] : data.results, ledgerNext: data.next_cursor, pageError: null });
    } catch (e) {
      set({ pageError: asApiError(e) });
    }
  },
  async changePlan(plan) {
    const { data, status } = await api.patch("/api/v1/subscription", { body: { plan } });
    set({ subscription: data });
    void get().load();
    return status === 202
      ? `Upgrade to ${data.pending_plan?.name ?? plan} requested: it applies once IGNY8 staff approve it.`
      : `Now on the ${data.plan.name} plan.`;
  },
}));

// Nothing of one session's account is left for the next.
const initial = useCreditsStore.getState();
onSignedOut(() => useCreditsStore.setState(initial, true));
