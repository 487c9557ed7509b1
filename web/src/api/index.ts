// The app's client instance. The auth store binds the session (the access
// token in memory) when it loads, so this module does not import any store.
import { createApiClient, type Session } from "./client";

export { ApiError } from "./client";
export type { Schemas, FieldErrors } from "./client";

let bound: Session = {
  access: () => null,
  refreshed: () => {},
  expired: () => {},
};

export function bindSession(session: Session) {
  bound = session;
}

export const api = createApiClient({
  session: {
    access: () => bound.access(),
    refreshed: (t) => bound.refreshed(t),
    expired: () => bound.expired(),
  },
});
