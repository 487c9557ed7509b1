// Pieces shared by the Settings pages: the tabs and the button styles.
import { NavLink } from "react-router";
import { hasRole, useAuthStore } from "../../stores/authStore";

export const BTN = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm hover:bg-slate-50 disabled:opacity-50";
export const PRIMARY = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-50";
export const DANGER = "rounded-md border border-red-300 bg-white px-2 py-1 text-sm text-red-800 hover:bg-red-50 disabled:opacity-50";
export const INPUT = "rounded-md border border-slate-300 px-2 py-1 text-sm";

const TABS = [
  { to: "/settings/users", label: "Users and roles" },
  { to: "/settings/sites", label: "Sites and sectors" },
  // GET /audit-log/ needs an admin (functions/accounts), whatever its summary says.
  { to: "/settings/audit-log", label: "Audit log", admin: true },
];

export function SettingsTabs() {
  const admin = hasRole(
    useAuthStore((s) => s.user?.role),
    "admin",
  );
  return (
    <nav aria-label="Settings" className="flex gap-1 border-b border-slate-200">
      {TABS.filter((t) => admin || !t.admin).map((t) => (
        <NavLink
          key={t.to}
          to={t.to}
          className={({ isActive }) =>
            `-mb-px border-b-2 px-3 py-1.5 text-sm ${isActive ? "border-indigo-600 font-medium text-indigo-800" : "border-transparent text-slate-700 hover:text-slate-900"}`
          }
        >
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}
