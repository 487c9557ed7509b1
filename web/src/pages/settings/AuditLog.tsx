// Settings → audit log (admins and owners: the API refuses the others): who
// did what, newest first, in cursor pages. The API offers no server-side
// filters; the action filter narrows the loaded pages.
import { useEffect, useState } from "react";
import { ErrorBanner } from "../../components/Errors";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useSettingsStore } from "../../stores/settingsStore";
import { BTN, INPUT, SettingsTabs } from "./common";

export default function AuditLog() {
  const { audit, auditNext, auditError, loadAudit } = useSettingsStore();
  const [action, setAction] = useState("");
  const admin = hasRole(
    useAuthStore((s) => s.user?.role),
    "admin",
  );
  useEffect(() => {
    if (admin) void loadAudit();
  }, [loadAudit, admin]);
  if (!admin) {
    return (
      <section className="max-w-5xl space-y-4">
        <h1 className="text-xl font-semibold">Settings</h1>
        <SettingsTabs />
        <p role="status" className="text-sm text-slate-600">
          The audit log needs the admin role or above.
        </p>
      </section>
    );
  }
  const actions = [...new Set(audit.map((a) => a.action))].sort();
  const shown = action ? audit.filter((a) => a.action === action) : audit;
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Settings</h1>
      <SettingsTabs />
      <ErrorBanner error={auditError} />
      <div className="flex items-end gap-3 text-xs text-slate-600">
        <label className="flex flex-col">
          Action (in the loaded entries)
          <select value={action} onChange={(e) => setAction(e.target.value)} className={INPUT}>
            <option value="">any</option>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <span>
          {shown.length} of {audit.length} loaded{auditNext ? " (more on the server)" : ""}
        </span>
      </div>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Audit entries" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">When</th>
              <th className="px-3 py-2">Who</th>
              <th className="px-3 py-2">Action</th>
              <th className="px-3 py-2">Target</th>
              <th className="px-3 py-2">IP</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} className="border-t border-slate-100">
                <td className="px-3 py-1.5 whitespace-nowrap">{new Date(a.created_at).toLocaleString()}</td>
                <td className="px-3 py-1.5">{a.actor_email}</td>
                <td className="px-3 py-1.5 font-mono text-xs">{a.action}</td>
                <td className="px-3 py-1.5 text-xs">
                  {a.target_type} {a.target_id}
                </td>
                <td className="px-3 py-1.5 text-xs">{a.ip ?? ""}</td>
              </tr>
            ))}
            {shown.length === 0 ? (
              <tr>
                <td colSpan={5} className="px-3 py-4 text-center text-slate-500">
                  No entries.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {auditNext ? (
        <button type="button" className={BTN} onClick={() => void loadAudit(true)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
