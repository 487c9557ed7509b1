// Who is signed in. Tokens live in memory only (never in localStorage): a
// reload signs the user out until the backend's cookie mode lands.
import { create } from "zustand";
import { api, bindSession, type Schemas } from "../api";

export type Role = Schemas["Role"];
const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

export interface AuthState {
  user: Schemas["UserView"] | null;
  account: Schemas["Account"] | null;
  access: string | null;
  refresh: string | null;
  /** Why the last session ended (shown on the sign-in page). */
  notice: string | null;
  signIn(email: string, password: string): Promise<void>;
  register(input: Schemas["RegisterInput"]): Promise<void>;
  changePassword(current: string, next: string): Promise<void>;
  signOut(): Promise<void>;
  /** The session ended on the server side (refresh refused). */
  expire(): void;
}

const signedOut = { user: null, account: null, access: null, refresh: null };

/** Stores holding an account's data register here and are emptied when a
 * session ends, so the next user never sees the last one's data. */
const resets: (() => void)[] = [];
export function onSignedOut(reset: () => void) {
  resets.push(reset);
}
function clearAll() {
  for (const r of resets) r();
}

export const useAuthStore = create<AuthState>()((set, get) => ({
  ...signedOut,
  notice: null,
  async signIn(email, password) {
    const { data } = await api.post("/api/v1/auth/login", { body: { email, password } });
    set({ user: data.user, account: data.account, access: data.tokens.access, refresh: data.tokens.refresh, notice: null });
  },
  async register(input) {
    const { data } = await api.post("/api/v1/auth/register", { body: input });
    set({ user: data.user, account: data.account, access: data.tokens.access, refresh: data.tokens.refresh, notice: null });
  },
  async changePassword(current, next) {
    const { data } = await api.post("/api/v1/auth/change-password", {
      body: { current_password: current, new_password: next },
    });
    // Every earlier token is revoked by the change: keep the new pair.
    set({ access: data.tokens.access, refresh: data.tokens.refresh });
  },
  async signOut() {
    const refresh = get().refresh;
    if (refresh) await api.post("/api/v1/auth/logout", { body: { refresh } }).catch(() => {});
    set({ ...signedOut, notice: null });
    clearAll();
  },
  expire() {
    if (get().user || get().access) {
      set({ ...signedOut, notice: "Your session has ended. Please sign in again." });
      clearAll();
    }
  },
}));

/** True when the signed-in user's role is `min` or above. */
export function hasRole(role: Role | undefined | null, min: Role): boolean {
  return role != null && (RANK[role] ?? -1) >= (RANK[min] ?? 99);
}

bindSession({
  access: () => useAuthStore.getState().access,
  refresh: () => useAuthStore.getState().refresh,
  refreshed: (t) => useAuthStore.setState({ access: t.access, refresh: t.refresh }),
  expired: () => useAuthStore.getState().expire(),
});
