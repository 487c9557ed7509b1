// The app shell: sidebar (every page), header with the site/sector switcher,
// the credit balance and the user menu; for the owner of an account whose
// email is not verified yet, a banner under the header (no credits until then)
// with "Resend".
import { Suspense, useEffect, useState } from "react";
import { NavLink, Outlet, useNavigate } from "react-router";
import { api, type ApiError } from "../api";
import { ErrorBanner } from "./Errors";
import { hasRole, useAuthStore, type Role } from "../stores/authStore";
import { useCreditsStore } from "../stores/creditsStore";
import { useSiteStore } from "../stores/siteStore";

export const NAV: { group: string; items: { to: string; label: string; min?: Role }[] }[] = [
  {
    group: "Planner",
    items: [
      { to: "/planner/keywords", label: "Keywords" },
      { to: "/planner/import", label: "Import keywords", min: "editor" },
      { to: "/planner/clusters", label: "Clusters" },
      { to: "/planner/ideas", label: "Ideas" },
      { to: "/planner/tasks", label: "Tasks" },
    ],
  },
  { group: "Writer", items: [{ to: "/writer/content", label: "Content" }, { to: "/writer/images", label: "Images" }] },
  {
    group: "Operations",
    items: [
      { to: "/jobs", label: "Jobs" },
      { to: "/integration", label: "Integration" },
      { to: "/automation", label: "Automation" },
    ],
  },
  {
    group: "Account",
    items: [
      { to: "/credits", label: "Credits & plan" },
      { to: "/settings", label: "Settings" },
    ],
  },
];

function SiteSwitcher() {
  const { sites, sectors, siteId, sectorId, selectSite, selectSector, error } = useSiteStore();
  if (error) return <span className="text-sm text-red-700">Sites: {error}</span>;
  if (sites.length === 0) return <span className="text-sm text-slate-500">No site yet</span>;
  return (
    <div className="flex items-center gap-2 text-sm">
      <label className="sr-only" htmlFor="site-switch">
        Site
      </label>
      <select
        id="site-switch"
        value={siteId ?? ""}
        onChange={(e) => void selectSite(e.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1"
      >
        {sites.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor="sector-switch">
        Sector
      </label>
      <select
        id="sector-switch"
        value={sectorId ?? ""}
        onChange={(e) => selectSector(e.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1"
        disabled={sectors.length === 0}
      >
        {sectors.length === 0 ? <option value="">No sector</option> : null}
        {sectors.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function CreditBalance() {
  const balance = useCreditsStore((s) => s.balance);
  if (!balance) return null;
  return (
    <span
      className="rounded-full bg-indigo-50 px-3 py-1 text-sm text-indigo-800"
      title={`Plan credits ${balance.plan_credits} · bonus credits ${balance.bonus_credits} (${balance.plan} plan)`}
    >
      {balance.total} credits
    </span>
  );
}

function UserMenu() {
  const user = useAuthStore((s) => s.user);
  const signOut = useAuthStore((s) => s.signOut);
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  if (!user) return null;
  return (
    <div className="relative">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        className="rounded-md px-2 py-1 text-sm hover:bg-slate-100"
      >
        {user.name || user.email} <span className="text-xs text-slate-500">({user.role})</span>
      </button>
      {open ? (
        <div role="menu" className="absolute right-0 z-10 mt-1 w-48 rounded-md border border-slate-200 bg-white py-1 shadow-lg">
          <button
            role="menuitem"
            type="button"
            className="block w-full px-3 py-1.5 text-left text-sm hover:bg-slate-50"
            onClick={() => {
              setOpen(false);
              navigate("/account/password");
            }}
          >
            Change password
          </button>
          <button
            role="menuitem"
            type="button"
            className="block w-full px-3 py-1.5 text-left text-sm hover:bg-slate-50"
            onClick={() => {
              setOpen(false);
              void signOut();
            }}
          >
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** Mails a new verification link to the signed-in owner
 * (`POST /auth/resend-verification/`, owners only; the older links stop working). */
export function ResendVerification({ label = "Resend" }: { label?: string }) {
  const email = useAuthStore((s) => s.user?.email);
  const [state, setState] = useState<"idle" | "busy" | "sent">("idle");
  const [error, setError] = useState<ApiError | Error | null>(null);
  const resend = async () => {
    setState("busy");
    setError(null);
    try {
      await api.post("/api/v1/auth/resend-verification");
      setState("sent");
    } catch (e) {
      setError(e as Error);
      setState("idle");
    }
  };
  return (
    <>
      <span aria-live="polite">{state === "sent" ? `A new link was sent to ${email}.` : null}</span>
      {state === "sent" ? null : (
        <button
          type="button"
          disabled={state === "busy"}
          onClick={() => void resend()}
          className="rounded-md border border-amber-400 bg-white px-2 py-1 text-sm font-medium text-amber-900 hover:bg-amber-100 disabled:opacity-50"
        >
          {state === "busy" ? "Sending…" : label}
        </button>
      )}
      <ErrorBanner error={error} />
    </>
  );
}

/** Shown to the owner while the account's email is unverified (`account.email_verified`). */
function VerifyEmailBanner() {
  const email = useAuthStore((s) => s.user?.email);
  const show = useAuthStore((s) => s.user?.role === "owner" && s.account?.email_verified === false);
  if (!show) return null;
  return (
    <div role="region" aria-label="Email verification" className="flex flex-wrap items-center gap-3 border-b border-amber-200 bg-amber-50 px-6 py-2 text-sm text-amber-900">
      <p>Confirm your email address to receive your free plan credits: open the link we sent to {email}.</p>
      <ResendVerification />
    </div>
  );
}

export function Shell() {
  const loadSites = useSiteStore((s) => s.load);
  const loadCredits = useCreditsStore((s) => s.load);
  const account = useAuthStore((s) => s.account);
  const role = useAuthStore((s) => s.user?.role);
  useEffect(() => {
    void loadSites();
    void loadCredits();
  }, [loadSites, loadCredits]);
  return (
    <div className="flex min-h-screen">
      <nav aria-label="Main" className="w-56 shrink-0 border-r border-slate-200 bg-white px-3 py-4">
        <div className="mb-4 px-2 text-lg font-bold text-indigo-700">IGNY8</div>
        {NAV.map((g) => (
          <div key={g.group} className="mb-4">
            <div className="px-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{g.group}</div>
            <ul>
              {g.items.filter((i) => !i.min || hasRole(role, i.min)).map((i) => (
                <li key={i.to}>
                  <NavLink
                    to={i.to}
                    className={({ isActive }) =>
                      `block rounded-md px-2 py-1 text-sm ${isActive ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-700 hover:bg-slate-100"}`
                    }
                  >
                    {i.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between gap-4 border-b border-slate-200 bg-white px-6 py-3">
          <div className="flex items-center gap-4">
            <span className="text-sm font-medium text-slate-700">{account?.name}</span>
            <SiteSwitcher />
          </div>
          <div className="flex items-center gap-3">
            <CreditBalance />
            <UserMenu />
          </div>
        </header>
        <VerifyEmailBanner />
        <main className="flex-1 p-6">
          <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
