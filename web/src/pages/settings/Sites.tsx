// Settings → sites and sectors: create, edit and delete sites and each site's
// sectors (admin and above). Deleting one that holds data needs the confirm
// the API asks for (409 → `?confirm=true`); the deletion then runs as a job.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../../api";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useSettingsStore, type DeleteOutcome } from "../../stores/settingsStore";
import { BTN, DANGER, PRIMARY, SettingsTabs } from "./common";

function SiteForm({ site, onDone }: { site?: Schemas["Site"]; onDone: () => void }) {
  const saveSite = useSettingsStore((s) => s.saveSite);
  const [f, setF] = useState({ name: site?.name ?? "", url: site?.url ?? "", industry: site?.industry ?? "", description: site?.description ?? "" });
  const { error, fields, busy, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await saveSite(
        { name: f.name, url: f.url || null, industry: f.industry || null, description: f.description || null, ...(site ? { version: site.version } : {}) },
        site?.id,
      );
      onDone();
    });
  };
  const p = site ? `site-${site.id}` : "new-site";
  return (
    <form onSubmit={submit} aria-label={site ? `Edit ${site.name}` : "Add a site"} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h3 className="text-sm font-semibold">{site ? `Edit ${site.name}` : "Add a site"}</h3>
      <ErrorBanner error={error} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Site name" name={`${p}-name`} value={f.name} onChange={(v) => setF({ ...f, name: v })} error={fields.name} required />
        <Field label="Site URL" name={`${p}-url`} value={f.url} onChange={(v) => setF({ ...f, url: v })} error={fields.url} hint="https://…" />
        <Field label="Industry" name={`${p}-industry`} value={f.industry} onChange={(v) => setF({ ...f, industry: v })} error={fields.industry} />
        <Field label="Description" name={`${p}-description`} value={f.description} onChange={(v) => setF({ ...f, description: v })} error={fields.description} />
      </div>
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          {site ? "Save site" : "Add site"}
        </button>
        {site ? (
          <button type="button" className={BTN} onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** Delete with the API's confirm step: the first try without `confirm`; when
 * the item holds data the API's reason is shown and a second button confirms. */
function DeleteButton({ label, del, onNote }: { label: string; del: (confirm: boolean) => Promise<DeleteOutcome>; onNote: (note: string) => void }) {
  const [pending, setPending] = useState<string | null>(null);
  const { error, busy, run } = useSubmit();
  const go = (confirm: boolean) =>
    void run(async () => {
      const out = await del(confirm);
      if (out.kind === "confirm") setPending(out.message);
      else {
        setPending(null);
        // The row goes with the item: the section shows what happened.
        onNote(out.kind === "job" ? `Deleting ${label} and everything in it (job ${out.job.id}); it disappears from the lists meanwhile.` : `${label} deleted.`);
      }
    });
  return (
    <span className="inline-flex flex-col gap-1">
      {pending ? (
        <span role="group" aria-label={`Confirm deleting ${label}`} className="flex flex-wrap items-center gap-1 rounded-md border border-red-200 bg-red-50 px-2 py-1 text-xs text-red-900">
          <span>{pending}</span>
          <button type="button" disabled={busy} className={DANGER} onClick={() => go(true)}>
            Delete everything in {label}
          </button>
          <button type="button" className={BTN} onClick={() => setPending(null)}>
            Keep
          </button>
        </span>
      ) : (
        <button type="button" disabled={busy} className={DANGER} onClick={() => go(false)}>
          Delete {label}
        </button>
      )}
      {error ? <ErrorBanner error={error} /> : null}
    </span>
  );
}

function Note({ note }: { note: string | null }) {
  return note ? (
    <p role="status" className="text-sm text-slate-700">
      {note}
    </p>
  ) : null;
}

function Sectors({ site, admin }: { site: Schemas["Site"]; admin: boolean }) {
  const { sectors, saveSector, deleteSector } = useSettingsStore();
  const [name, setName] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [rename, setRename] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const add = useSubmit();
  const edit = useSubmit();
  return (
    <section aria-label={`Sectors of ${site.name}`} className="space-y-2">
      <h2 className="text-base font-semibold">Sectors of {site.name}</h2>
      <Note note={note} />
      <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {sectors.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm">
            {editing === s.id ? (
              <form
                className="flex flex-wrap items-start gap-2"
                aria-label={`Rename ${s.name}`}
                onSubmit={(e) => {
                  e.preventDefault();
                  void edit.run(async () => {
                    await saveSector(site.id, { name: rename, version: s.version }, s.id);
                    setEditing(null);
                  });
                }}
              >
                <Field label="Sector name" name={`sector-${s.id}`} value={rename} onChange={setRename} error={edit.fields.name} />
                <button type="submit" disabled={edit.busy} className={`${BTN} mt-6`}>
                  Save
                </button>
                <button type="button" className={`${BTN} mt-6`} onClick={() => setEditing(null)}>
                  Cancel
                </button>
                <ErrorBanner error={edit.error} />
              </form>
            ) : (
              <span>
                {s.name}
                {s.deleting ? <span className="ml-2 text-xs text-amber-800">(being deleted)</span> : null}
              </span>
            )}
            {admin && editing !== s.id && !s.deleting ? (
              <span className="flex items-start gap-1">
                <button
                  type="button"
                  className={BTN}
                  onClick={() => {
                    setEditing(s.id);
                    setRename(s.name);
                  }}
                >
                  Rename {s.name}
                </button>
                <DeleteButton label={s.name} del={(confirm) => deleteSector(site.id, s.id, confirm)} onNote={setNote} />
              </span>
            ) : null}
          </li>
        ))}
        {sectors.length === 0 ? <li className="px-3 py-2 text-sm text-slate-500">No sectors yet.</li> : null}
      </ul>
      {admin ? (
        <form
          aria-label="Add a sector"
          className="flex flex-wrap items-start gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void add.run(async () => {
              await saveSector(site.id, { name });
              setName("");
            });
          }}
        >
          <Field label="New sector" name="new-sector" value={name} onChange={setName} error={add.fields.name} />
          <button type="submit" disabled={add.busy} className={`${PRIMARY} mt-6`}>
            Add sector
          </button>
          <ErrorBanner error={add.error} />
        </form>
      ) : null}
    </section>
  );
}

export default function Sites() {
  const { sites, sitesError, openSiteId, loadSites, openSite, deleteSite } = useSettingsStore();
  const admin = hasRole(
    useAuthStore((s) => s.user?.role),
    "admin",
  );
  const [editing, setEditing] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    void loadSites();
  }, [loadSites]);
  const open = sites.find((s) => s.id === openSiteId) ?? null;
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Settings</h1>
      <SettingsTabs />
      <ErrorBanner error={sitesError} />
      <Note note={note} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Sites" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Site</th>
              <th className="px-3 py-2">URL</th>
              <th className="px-3 py-2">Industry</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.id} className={`border-t border-slate-100 align-top ${s.id === openSiteId ? "bg-indigo-50" : ""}`}>
                <td className="px-3 py-2">
                  <button type="button" className="font-medium text-indigo-800 underline" onClick={() => void openSite(s.id)} disabled={!!s.deleting}>
                    {s.name}
                  </button>
                  {s.deleting ? <span className="ml-2 text-xs text-amber-800">(being deleted)</span> : null}
                </td>
                <td className="px-3 py-2">{s.url ?? "—"}</td>
                <td className="px-3 py-2">{s.industry ?? "—"}</td>
                <td className="px-3 py-2">
                  {admin && !s.deleting ? (
                    <span className="flex items-start gap-1">
                      <button type="button" className={BTN} onClick={() => setEditing(s.id)}>
                        Edit {s.name}
                      </button>
                      <DeleteButton label={s.name} del={(confirm) => deleteSite(s.id, confirm)} onNote={setNote} />
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
            {sites.length === 0 ? (
              <tr>
                <td colSpan={4} className="px-3 py-4 text-center text-slate-500">
                  No sites yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {editing ? (
        <SiteForm key={editing} site={sites.find((s) => s.id === editing)} onDone={() => setEditing(null)} />
      ) : null}
      {open ? <Sectors key={open.id} site={open} admin={admin} /> : null}
      {admin ? <SiteForm key={`new-${sites.length}`} onDone={() => {}} /> : <p className="text-sm text-slate-600">Adding and changing sites and sectors needs the admin role or above.</p>}
    </section>
  );
}
