// Integration: the selected site's WordPress connection. An admin connects or
// updates it (the application password is written only: the API shows its
// last 4 characters), tests it (each check with what to fix), rotates nothing
// else here; an editor publishes a content item now or at a future minute,
// schedules a batch, cancels a scheduled publish and pulls changes (jobs with
// the ProgressModal); everyone reads the scheduled publishes and the sync log.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../../api";
import { ErrorBanner, Field } from "../../components/Errors";
import { ProgressModal } from "../../components/ProgressModal";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { integrationBody, useIntegrationStore, type Integration as View } from "../../stores/integrationStore";
import { useJobsStore } from "../../stores/jobsStore";
import { useSiteStore } from "../../stores/siteStore";
import { BTN, DANGER, INPUT, PRIMARY } from "../settings/common";
import { Batch, Publish, ScheduledList } from "./Scheduling";

function ConnectForm({ existing, siteId, onDone }: { existing: View | null; siteId: string; onDone?: () => void }) {
  const save = useIntegrationStore((s) => s.save);
  const [f, setF] = useState<Record<string, string>>({
    base_url: existing?.base_url ?? "",
    username: existing?.username ?? "",
    application_password: "",
    default_status: existing?.default_status ?? "draft",
    default_category: existing?.default_category ?? "",
  });
  const { error, fields, busy, run } = useSubmit();
  const set = (k: string) => (v: string) => setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await save(integrationBody(f, existing, siteId));
      setF({ ...f, application_password: "" });
      onDone?.();
    });
  };
  return (
    <form onSubmit={submit} aria-label={existing ? "Update the WordPress connection" : "Connect WordPress"} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">{existing ? "Update the connection" : "Connect WordPress"}</h2>
      <ErrorBanner error={error} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="WordPress URL" name="wp-url" value={f.base_url} onChange={set("base_url")} error={fields.base_url} hint="https://blog.example.com" required />
        <Field label="WordPress username" name="wp-user" value={f.username} onChange={set("username")} error={fields.username} required />
        <Field
          label="Application password"
          name="wp-app-password"
          type="password"
          autoComplete="new-password"
          value={f.application_password}
          onChange={set("application_password")}
          error={fields.application_password}
          hint={existing ? `Stored: ${existing.application_password}. Leave empty to keep it.` : "Users → Profile → Application Passwords in WordPress."}
          required={!existing}
        />
        <div className="space-y-1">
          <label htmlFor="f-wp-status" className="block text-sm font-medium text-slate-700">
            Publish as
          </label>
          <select id="f-wp-status" value={f.default_status} onChange={(e) => set("default_status")(e.target.value)} className={`${INPUT} block w-full py-2`}>
            <option value="draft">draft</option>
            <option value="publish">publish</option>
          </select>
          {fields.default_status ? <p className="text-xs text-red-700">{fields.default_status}</p> : null}
        </div>
        <Field label="Default category" name="wp-category" value={f.default_category} onChange={set("default_category")} error={fields.default_category} />
      </div>
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          {existing ? "Save connection" : "Connect"}
        </button>
        {existing && onDone ? (
          <button type="button" className={BTN} onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Checks({ report }: { report: Schemas["TestReport"] }) {
  return (
    <section aria-label="Connection test" className="space-y-2">
      <h2 className="text-base font-semibold">Connection test: {report.ok ? "every check passed" : "some checks failed"}</h2>
      <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {report.checks.map((c) => (
          <li key={c.check} className="flex gap-3 px-3 py-2 text-sm">
            <span aria-hidden="true" className={c.ok ? "text-emerald-700" : "text-red-700"}>
              {c.ok ? "✔" : "✘"}
            </span>
            <div>
              <div>
                <span className="font-mono text-xs">{c.check}</span> <span className="sr-only">{c.ok ? "passed" : "failed"}</span>{" "}
                <span className="ml-2">{c.detail}</span>
              </div>
              {!c.ok && c.fix ? <div className="text-xs text-amber-900">Fix: {c.fix}</div> : null}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function Integration() {
  const siteId = useSiteStore((s) => s.siteId);
  const site = useSiteStore((s) => s.sites.find((x) => x.id === s.siteId));
  const role = useAuthStore((s) => s.user?.role);
  const { integration, loadedFor, error, secret, report, logs, logsNext, load, test, sync, remove, loadLogs, loadContent } = useIntegrationStore();
  const job = useJobsStore((s) => s.job);
  const follow = useJobsStore((s) => s.follow);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useSubmit();
  const admin = hasRole(role, "admin");
  const editor = hasRole(role, "editor");
  useEffect(() => {
    void load(siteId);
  }, [load, siteId]);
  const connected = integration !== null;
  useEffect(() => {
    // Titles for the publish forms and the scheduled list (every role may read content).
    if (connected) void loadContent();
  }, [connected, loadContent, siteId]);

  if (!siteId) {
    return (
      <section className="space-y-2">
        <h1 className="text-xl font-semibold">Integration</h1>
        <p className="text-sm text-slate-600">Add a site first (Settings → Sites and sectors).</p>
      </section>
    );
  }
  return (
    <section className="max-w-5xl space-y-5">
      <h1 className="text-xl font-semibold">Integration: WordPress for {site?.name}</h1>
      <ErrorBanner error={error} />
      {loadedFor !== siteId && !error ? <p className="text-sm text-slate-500">Loading…</p> : null}
      {loadedFor === siteId && !integration ? (
        admin ? (
          <ConnectForm existing={null} siteId={siteId} />
        ) : (
          <p className="text-sm text-slate-600">This site is not connected to WordPress. Connecting it needs the admin role or above.</p>
        )
      ) : null}
      {integration ? (
        <>
          <dl aria-label="Connection" className="grid grid-cols-2 gap-x-6 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-3">
            {[
              ["WordPress", integration.base_url],
              ["User", integration.username],
              ["Application password", integration.application_password],
              ["Status", integration.status + (integration.status_reason ? ` (${integration.status_reason})` : "")],
              ["Last test", integration.last_tested_at ? `${integration.last_test_ok ? "passed" : "failed"} ${new Date(integration.last_tested_at).toLocaleString()}` : "never"],
              ["Last sync", integration.last_synced_at ? new Date(integration.last_synced_at).toLocaleString() : "never"],
              ["WordPress version", integration.wp_version ?? "—"],
              ["SEO plugin", integration.seo_plugin ?? "—"],
              ["Publishes as", integration.default_status],
            ].map(([k, v]) => (
              <div key={k}>
                <dt className="text-xs text-slate-600">{k}</dt>
                <dd className="break-all">{v}</dd>
              </div>
            ))}
          </dl>
          {secret ? (
            <p role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              Webhook secret (shown once; paste it into the IGNY8 Connector plugin): <code className="break-all">{secret}</code> — webhook path{" "}
              <code>{integration.webhook_path}</code>
            </p>
          ) : null}
          <ErrorBanner error={action.error} />
          <div className="flex flex-wrap gap-2">
            {admin ? (
              <button type="button" disabled={action.busy} className={PRIMARY} onClick={() => void action.run(test)}>
                Test connection
              </button>
            ) : null}
            {editor ? (
              <button type="button" disabled={action.busy} className={BTN} onClick={() => void action.run(async () => follow(await sync()))}>
                Sync from WordPress
              </button>
            ) : null}
            {admin && !editing ? (
              <button type="button" className={BTN} onClick={() => setEditing(true)}>
                Edit connection
              </button>
            ) : null}
            {admin ? (
              confirmDelete ? (
                <span role="group" aria-label="Confirm disconnecting" className="flex gap-1">
                  <button type="button" className={DANGER} onClick={() => void action.run(remove)}>
                    Disconnect WordPress
                  </button>
                  <button type="button" className={BTN} onClick={() => setConfirmDelete(false)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button type="button" className={DANGER} onClick={() => setConfirmDelete(true)}>
                  Disconnect…
                </button>
              )
            ) : null}
          </div>
          {editing ? <ConnectForm existing={integration} siteId={siteId} onDone={() => setEditing(false)} /> : null}
          {report ? <Checks report={report} /> : null}
          {editor ? <Publish siteZone={site?.timezone} /> : null}
          {editor ? <Batch siteZone={site?.timezone} /> : null}
          <ScheduledList editor={editor} />
          <section className="space-y-2">
            <h2 className="text-base font-semibold">Sync log</h2>
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Sync log" tabIndex={0}>
              <table className="min-w-full text-sm">
                <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
                  <tr>
                    <th className="px-3 py-2">When</th>
                    <th className="px-3 py-2">Action</th>
                    <th className="px-3 py-2">Status</th>
                    <th className="px-3 py-2">Post</th>
                    <th className="px-3 py-2">Detail</th>
                    <th className="px-3 py-2 text-right">ms</th>
                  </tr>
                </thead>
                <tbody>
                  {logs.map((l) => (
                    <tr key={l.id} className="border-t border-slate-100">
                      <td className="px-3 py-1.5 whitespace-nowrap">{new Date(l.created_at).toLocaleString()}</td>
                      <td className="px-3 py-1.5">{l.action}</td>
                      <td className={`px-3 py-1.5 ${l.status === "ok" ? "" : "text-red-800"}`}>{l.status}</td>
                      <td className="px-3 py-1.5">{l.wp_post_id ?? ""}</td>
                      <td className="px-3 py-1.5">{l.error ?? l.detail ?? ""}</td>
                      <td className="px-3 py-1.5 text-right tabular-nums">{l.duration_ms}</td>
                    </tr>
                  ))}
                  {logs.length === 0 ? (
                    <tr>
                      <td colSpan={6} className="px-3 py-4 text-center text-slate-500">
                        Nothing logged yet.
                      </td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
            </div>
            {logsNext ? (
              <button type="button" className={BTN} onClick={() => void loadLogs(true)}>
                Load more
              </button>
            ) : null}
          </section>
        </>
      ) : null}
      {job && (job.kind === "wordpress_publish" || job.kind === "wordpress_sync") ? (
        <ProgressModal title={job.kind === "wordpress_sync" ? "Sync from WordPress" : "Publish to WordPress"} onFinished={() => void loadLogs()} />
      ) : null}
    </section>
  );
}
