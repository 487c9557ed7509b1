// The credit balance in the header (two pools: plan and bonus credits).
import { create } from "zustand";
import { api, type Schemas } from "../api";

export interface CreditsState {
  balance: Schemas["Balance"] | null;
  error: string | null;
  load(): Promise<void>;
}

export const useCreditsStore = create<CreditsState>()((set) => ({
  balance: null,
  error: null,
  async load() {
    try {
      const { data } = await api.get("/api/v1/credits/balance");
      set({ balance: data, error: null });
    } catch (e) {
      set({ error: (e as Error).message });
    }
  },
}));
