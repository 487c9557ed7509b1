// Protected routes: without a session (after the start-up restore), go to the
// sign-in page (and come back after).
import { Navigate, Outlet, useLocation } from "react-router";
import { useAuthStore } from "../stores/authStore";

export function RequireAuth() {
  const signedIn = useAuthStore((s) => s.access !== null && s.user !== null);
  const restoring = useAuthStore((s) => s.restoring);
  const location = useLocation();
  // A reload: wait for the one cookie refresh before deciding.
  if (restoring) return <p role="status" className="p-8 text-sm text-slate-500">Restoring your session…</p>;
  if (!signedIn) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}
