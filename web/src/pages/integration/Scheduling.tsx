// Publishing from the Integration page: one content item now (a job followed
// in the ProgressModal) or at a future minute (`status: "future"`), a batch
// spread by an interval with its times previewed and then as the API set them,
// and the list of scheduled publishes with Cancel (editors and above; the API
// refuses anyone else). Local times are read in the site's time zone.
import { useState, type FormEvent } from "react";
import { ApiError } from "../../api";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { useIntegrationStore } from "../../stores/integrationStore";
import { useJobsStore } from "../../stores/jobsStore";
import { BTN, DANGER, INPUT, PRIMARY } from "../settings/common";
import { batchBody, batchTimes, otherErrors, publishBody, shownTime, type PublishForm, type ScheduledPublish } from "./schedule";

/** Which zone local times are read in, in words. */
export function zoneNote(zone: string | null | undefined): string {
  return zone ? `Times are read in ${zone}, the site's time zone.` : "Times are read in UTC: the site has no time zone set.";
}

function Err({ id, msg }: { id: string; msg?: string }) {
  return msg ? (
    <p id={id} className="text-xs text-red-700">
      {msg}
    </p>
  ) : null;
}
const inv = (id: string, msg?: string) => (msg ? { "aria-invalid": true as const, "aria-describedby": id } : {});

function Others({ list }: { list: [string, string][] }) {
  return list.length ? (
    <ul aria-label="Other problems" className="list-inside list-disc text-xs text-red-700">
      {list.map(([k, m]) => (
        <li key={k}>
          {k}: {m}
        </li>
      ))}
    </ul>
  ) : null;
}

export function Publish({ siteZone }: { siteZone?: string | null }) {
  const zone = siteZone || "UTC";
  const { content, publish, schedule } = useIntegrationStore();
  const follow = useJobsStore((s) => s.follow);
  const [f, setF] = useState<PublishForm>({ content_id: "", status: "", date: "", categories: "", tags: "" });
  const [when, setWhen] = useState<"now" | "later">("now");
  const [done, setDone] = useState<string | null>(null);
  const { error, fields, busy, run } = useSubmit();
  const later = when === "later";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    void run(async () => {
      if (later) {
        await schedule(publishBody({ ...f, status: "future" }));
        setDone(`Scheduled for ${f.date.replace("T", " ")} ${zone}.`);
      } else {
        follow(await publish(publishBody({ ...f, date: "" })));
      }
    });
  };
  return (
    <form onSubmit={submit} aria-label="Publish a content item" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" noValidate>
      <h2 className="text-base font-semibold">Publish a content item</h2>
      <ErrorBanner error={error} />
      <Others list={otherErrors(fields, ["content_id", "status", "date", "categories", "tags"])} />
      <div className="grid gap-3 sm:grid-cols-2">
        <div className="space-y-1">
          <label htmlFor="f-publish-content" className="block text-sm font-medium text-slate-700">
            Content item
          </label>
          <select
            id="f-publish-content"
            value={f.content_id}
            onChange={(e) => setF({ ...f, content_id: e.target.value })}
            className={`${INPUT} block w-full py-2`}
            required
            {...inv("f-publish-content-error", fields.content_id)}
          >
            <option value="">Choose…</option>
            {content.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title} ({c.status}
                {c.publication ? `, on WordPress as ${c.publication.wp_status}` : ""})
              </option>
            ))}
          </select>
          <Err id="f-publish-content-error" msg={fields.content_id} />
        </div>
        <fieldset className="space-y-1">
          <legend className="block text-sm font-medium text-slate-700">When</legend>
          <div className="flex gap-4 pt-1 text-sm">
            <label className="flex items-center gap-1">
              <input type="radio" name="publish-when" value="now" checked={!later} onChange={() => setWhen("now")} />
              Publish now
            </label>
            <label className="flex items-center gap-1">
              <input type="radio" name="publish-when" value="later" checked={later} onChange={() => setWhen("later")} />
              Schedule for…
            </label>
          </div>
        </fieldset>
        {later ? (
          <div className="space-y-1">
            <label htmlFor="f-publish-date" className="block text-sm font-medium text-slate-700">
              Publish at ({zone})
            </label>
            <input
              id="f-publish-date"
              type="datetime-local"
              value={f.date}
              onChange={(e) => setF({ ...f, date: e.target.value })}
              className={`${INPUT} block w-full py-2`}
              required
              {...inv("f-publish-date-error", fields.date)}
            />
            {fields.date ? <Err id="f-publish-date-error" msg={fields.date} /> : <p className="text-xs text-slate-600">{zoneNote(siteZone)} Published by our schedule at that minute.</p>}
          </div>
        ) : (
          <div className="space-y-1">
            <label htmlFor="f-publish-status" className="block text-sm font-medium text-slate-700">
              WordPress status
            </label>
            <select id="f-publish-status" value={f.status} onChange={(e) => setF({ ...f, status: e.target.value })} className={`${INPUT} block w-full py-2`} {...inv("f-publish-status-error", fields.status)}>
              <option value="">the connection's default</option>
              <option value="draft">draft</option>
              <option value="publish">publish</option>
            </select>
            <Err id="f-publish-status-error" msg={fields.status} />
          </div>
        )}
        <Field label="Categories (comma-separated)" name="publish-categories" value={f.categories} onChange={(v) => setF({ ...f, categories: v })} error={fields.categories} />
        <Field label="Tags (comma-separated)" name="publish-tags" value={f.tags} onChange={(v) => setF({ ...f, tags: v })} error={fields.tags} />
      </div>
      {done ? (
        <p role="status" className="text-sm text-emerald-800">
          {done}
        </p>
      ) : null}
      <button type="submit" disabled={busy || !f.content_id || (later && !f.date)} className={PRIMARY}>
        {later ? "Schedule publish" : "Publish"}
      </button>
    </form>
  );
}

export function Batch({ siteZone }: { siteZone?: string | null }) {
  const zone = siteZone || "UTC";
  const { content, publishBatch, lastBatch } = useIntegrationStore();
  const [ids, setIds] = useState<string[]>([]);
  const [f, setF] = useState({ start: "", every_minutes: "60", categories: "", tags: "" });
  const { error, fields, busy, run } = useSubmit();
  const title = (id: string) => content.find((c) => c.id === id)?.title ?? id;
  const every = /^\d+$/.test(f.every_minutes.trim()) ? Number(f.every_minutes) : NaN;
  const planned = ids.length && f.start ? batchTimes(f.start, every, ids.length, zone) : null;
  const toggle = (id: string, on: boolean) => setIds(on ? [...ids, id] : ids.filter((x) => x !== id));
  const itemErrors = Object.entries(fields).filter(([k]) => /^content_ids\[\d+\]$/.test(k));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const built = batchBody({ content_ids: ids, ...f });
      if ("errors" in built) throw new ApiError("The interval is not a whole number of minutes.", 0, "CLIENT_ERROR", built.errors);
      await publishBatch(built.body);
      setIds([]);
    });
  };
  return (
    <form onSubmit={submit} aria-label="Schedule a batch" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" noValidate>
      <h2 className="text-base font-semibold">Schedule a batch</h2>
      <p className="text-xs text-slate-600">
        One item every interval from the start, in the order you tick them. {zoneNote(siteZone)}
      </p>
      <ErrorBanner error={error} />
      <Others list={otherErrors(fields, ["content_ids", "start", "every_minutes", "interval", "timezone", "categories", "tags"])} />
      <fieldset className="space-y-1" aria-describedby={fields.content_ids || itemErrors.length ? "batch-items-error" : undefined}>
        <legend className="text-sm font-medium text-slate-700">Content items, in publishing order</legend>
        <ul className="max-h-48 space-y-0.5 overflow-y-auto text-sm">
          {content.map((c) => {
            const pos = ids.indexOf(c.id);
            return (
              <li key={c.id}>
                <label className="flex items-center gap-2">
                  <input type="checkbox" checked={pos >= 0} onChange={(e) => toggle(c.id, e.target.checked)} />
                  <span className="w-6 text-xs text-slate-600 tabular-nums">{pos >= 0 ? `#${pos + 1}` : ""}</span>
                  {c.title}
                </label>
              </li>
            );
          })}
          {content.length === 0 ? <li className="text-slate-500">No content in this site yet.</li> : null}
        </ul>
        <div id="batch-items-error">
          {fields.content_ids ? <p className="text-xs text-red-700">{fields.content_ids}</p> : null}
          {itemErrors.map(([k, m]) => (
            <p key={k} className="text-xs text-red-700">
              #{Number(/\d+/.exec(k)?.[0]) + 1} {title(ids[Number(/\d+/.exec(k)?.[0])] ?? "")}: {m}
            </p>
          ))}
        </div>
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2">
        <div className="space-y-1">
          <label htmlFor="f-batch-start" className="block text-sm font-medium text-slate-700">
            First publish at ({zone})
          </label>
          <input id="f-batch-start" type="datetime-local" value={f.start} onChange={(e) => setF({ ...f, start: e.target.value })} className={`${INPUT} block w-full py-2`} {...inv("f-batch-start-error", fields.start)} />
          <Err id="f-batch-start-error" msg={fields.start} />
        </div>
        <div className="space-y-1">
          <label htmlFor="f-batch-every" className="block text-sm font-medium text-slate-700">
            Every (minutes)
          </label>
          <input
            id="f-batch-every"
            inputMode="numeric"
            value={f.every_minutes}
            onChange={(e) => setF({ ...f, every_minutes: e.target.value })}
            className={`${INPUT} block w-full py-2`}
            {...inv("f-batch-every-error", fields.every_minutes ?? fields.interval)}
          />
          {fields.every_minutes || fields.interval ? (
            <Err id="f-batch-every-error" msg={fields.every_minutes ?? fields.interval} />
          ) : (
            <p className="text-xs text-slate-600">1 to 10080 (a week); 1440 = daily at the same local time.</p>
          )}
        </div>
        <Field label="Batch categories (comma-separated)" name="batch-categories" value={f.categories} onChange={(v) => setF({ ...f, categories: v })} error={fields.categories} />
        <Field label="Batch tags (comma-separated)" name="batch-tags" value={f.tags} onChange={(v) => setF({ ...f, tags: v })} error={fields.tags} />
      </div>
      {planned ? (
        <section aria-label="Planned times" className="text-sm">
          <h3 className="text-xs font-medium text-slate-700">Planned times ({zone})</h3>
          <ol className="list-inside list-decimal text-xs text-slate-800">
            {planned.map((t, k) => (
              <li key={k}>
                {t.local} — {title(ids[k])} <span className="text-slate-600">({t.utc.replace("T", " ")})</span>
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      <button type="submit" disabled={busy || ids.length === 0 || !f.start} className={PRIMARY}>
        Schedule {ids.length || ""} item{ids.length === 1 ? "" : "s"}
      </button>
      {lastBatch ? (
        <section role="status" aria-label="Batch scheduled" className="rounded-md border border-emerald-200 bg-emerald-50 p-2 text-sm">
          <p>
            Scheduled {lastBatch.scheduled.length} item{lastBatch.scheduled.length === 1 ? "" : "s"} in {lastBatch.timezone}:
          </p>
          <ol className="list-inside list-decimal text-xs">
            {lastBatch.scheduled.map((s) => (
              <li key={s.id}>
                {shownTime(s)} — {title(s.content_id)}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </form>
  );
}

function ScheduledRow({ s, editor }: { s: ScheduledPublish; editor: boolean }) {
  const { content, cancelScheduled } = useIntegrationStore();
  const [confirming, setConfirming] = useState(false);
  const { error, busy, run } = useSubmit();
  const title = content.find((c) => c.id === s.content_id)?.title ?? s.content_id;
  const when = shownTime(s);
  return (
    <tr className="border-t border-slate-100 align-top">
      <td className="px-3 py-1.5 whitespace-nowrap">{when}</td>
      <td className="px-3 py-1.5 whitespace-nowrap text-xs text-slate-600">{s.publish_at.replace("T", " ").replace(/:00Z$/, "Z")}</td>
      <td className="px-3 py-1.5">{title}</td>
      <td className={`px-3 py-1.5 ${s.status === "failed" ? "text-red-800" : ""}`}>
        {s.status}
        {s.wp_post_id ? ` (post ${s.wp_post_id})` : ""}
        {s.error ? <div className="text-xs">{s.error}</div> : null}
        {s.cancelled_at ? <div className="text-xs text-slate-600">cancelled {new Date(s.cancelled_at).toLocaleString()}</div> : null}
      </td>
      <td className="px-3 py-1.5">
        {editor && s.status === "scheduled" ? (
          confirming ? (
            <span role="group" aria-label={`Confirm cancelling ${title} at ${when}`} className="flex gap-1">
              <button type="button" disabled={busy} className={DANGER} onClick={() => void run(() => cancelScheduled(s.id))}>
                Cancel this publish
              </button>
              <button type="button" className={BTN} onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className={DANGER} aria-label={`Cancel ${title} at ${when}…`} onClick={() => setConfirming(true)}>
              Cancel…
            </button>
          )
        ) : null}
        <ErrorBanner error={error} />
      </td>
    </tr>
  );
}

export function ScheduledList({ editor }: { editor: boolean }) {
  const { scheduled, scheduledNext, loadScheduled } = useIntegrationStore();
  return (
    <section className="space-y-2">
      <h2 className="text-base font-semibold">Scheduled publishes</h2>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Scheduled publishes" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">When (site time)</th>
              <th className="px-3 py-2">UTC</th>
              <th className="px-3 py-2">Content</th>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {scheduled.map((s) => (
              <ScheduledRow key={`${s.id}-${s.version}`} s={s} editor={editor} />
            ))}
            {scheduled.length === 0 ? (
              <tr>
                <td colSpan={5} className="px-3 py-4 text-center text-slate-500">
                  Nothing scheduled.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {scheduledNext ? (
        <button type="button" className={BTN} onClick={() => void loadScheduled(true)}>
          Load more scheduled
        </button>
      ) : null}
    </section>
  );
}
