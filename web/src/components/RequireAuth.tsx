// Protected routes: without a session, go to the sign-in page (and come back after).
import { Navigate, Outlet, useLocation } from "react-router";
import { useAuthStore } from "../stores/authStore";

export function RequireAuth() {
  const signedIn = useAuthStore((s) => s.access !== null && s.user !== null);
  const location = useLocation();
  if (!signedIn) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}
