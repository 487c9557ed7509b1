// Who is signed in. The access token lives in memory only (never in
// localStorage); the refresh token is an HttpOnly cookie the API client asks
// for (cookie mode), so a reload restores the session with one cookie refresh
// (`restore`, called once at start-up) instead of signing the user out.
import { create } from "zustand";
import { api, bindSession, type Schemas } from "../api";

export type Role = Schemas["Role"];
const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };

export interface AuthState {
  user: Schemas["UserView"] | null;
  account: Schemas["Account"] | null;
  access: string | null;
  /** True until the start-up restore has answered (protected routes wait). */
  restoring: boolean;
  /** Why the last session ended (shown on the sign-in page). */
  notice: string | null;
  signIn(email: string, password: string): Promise<void>;
  register(input: Schemas["RegisterInput"]): Promise<void>;
  changePassword(current: string, next: string): Promise<void>;
  signOut(): Promise<void>;
  /** On load: one cookie refresh, then who the user is. */
  restore(): Promise<void>;
  /** The session ended on the server side (refresh refused). */
  expire(): void;
}

const signedOut = { user: null, account: null, access: null };

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
  restoring: false,
  notice: null,
  async signIn(email, password) {
    const { data } = await api.post("/api/v1/auth/login", { body: { email, password } });
    set({ user: data.user, account: data.account, access: data.tokens.access, notice: null, restoring: false });
  },
  async register(input) {
    const { data } = await api.post("/api/v1/auth/register", { body: input });
    set({ user: data.user, account: data.account, access: data.tokens.access, notice: null, restoring: false });
  },
  async changePassword(current, next) {
    const { data } = await api.post("/api/v1/auth/change-password", {
      body: { current_password: current, new_password: next },
    });
    // Every earlier token is revoked by the change: keep the new access token
    // (the new refresh token came back as the cookie).
    set({ access: data.tokens.access });
  },
  async signOut() {
    // The server revokes the cookie's sign-in and clears the cookies.
    await api.post("/api/v1/auth/logout").catch(() => {});
    set({ ...signedOut, notice: null });
    clearAll();
  },
  async restore() {
    set({ restoring: true });
    try {
      if (await api.restore()) {
        const { data } = await api.get("/api/v1/auth/me");
        set({ user: data.user, account: data.account });
      }
    } catch {
      // The refresh worked but /me did not: treat as signed out.
      set({ ...signedOut });
    } finally {
      set({ restoring: false });
    }
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
  refreshed: (t) => useAuthStore.setState({ access: t.access }),
  expired: () => useAuthStore.getState().expire(),
});
