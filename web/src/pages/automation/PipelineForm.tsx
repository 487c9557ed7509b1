// The pipeline form: enabled, an optional schedule (cron with the rule
// builder's human-readable preview, and a time zone: empty means the site's),
// and each stage's settings. Saving replaces the site's configuration; the
// API's field errors (`stages.cluster.min_keywords`, `schedule`, …) are shown
// beside their fields, any other is listed.
import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, type FieldErrors, type Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { BTN, INPUT, PRIMARY } from "../settings/common";
import { CronPreview } from "./RuleBuilder";
import { otherPipelineErrors, pipelineFormOf, pipelineInput, STAGE_LABELS, type Pipeline, type PipelineForm as Form } from "./pipelineConfig";

function zones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

const errId = (field: string) => `pl-${field.replace(/\W/g, "-")}-error`;

function Num({ label, field, value, onChange, errors, hint }: { label: string; field: string; value: string; onChange(v: string): void; errors: FieldErrors; hint?: string }) {
  const id = `pl-${field.replace(/\W/g, "-")}`;
  const msg = errors[field];
  return (
    <div className="space-y-0.5">
      <label htmlFor={id} className="block text-xs text-slate-700">
        {label}
      </label>
      <input
        id={id}
        inputMode="numeric"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className={`${INPUT} w-28`}
        {...(msg ? { "aria-invalid": true as const, "aria-describedby": errId(field) } : {})}
      />
      {msg ? (
        <p id={errId(field)} className="text-xs text-red-700">
          {msg}
        </p>
      ) : hint ? (
        <p className="text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}

function Stage({ name, enabled, onToggle, children }: { name: keyof typeof STAGE_LABELS; enabled?: boolean; onToggle?: (on: boolean) => void; children?: ReactNode }) {
  return (
    <fieldset className="space-y-2 rounded-md border border-slate-200 p-2">
      <legend className="px-1 text-sm font-medium">{STAGE_LABELS[name]}</legend>
      {onToggle ? (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={enabled} onChange={(e) => onToggle(e.target.checked)} />
          Run “{STAGE_LABELS[name]}”
        </label>
      ) : null}
      {children}
    </fieldset>
  );
}

interface Props {
  pipeline: Pipeline | null;
  siteZone?: string | null;
  save(body: Schemas["PipelineInput"]): Promise<void>;
  siteId: string;
  onDone(): void;
}

export function PipelineForm({ pipeline, siteZone, siteId, save, onDone }: Props) {
  const [f, setF] = useState<Form>(() => pipelineFormOf(pipeline));
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const tzs = useMemo(zones, []);
  const siteTz = siteZone || "UTC";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setFields({});
    const built = pipelineInput(f, siteId);
    if ("errors" in built) {
      setFields(built.errors);
      setError(new Error("Some settings are not whole numbers."));
      return;
    }
    setBusy(true);
    try {
      await save(built.body);
      onDone();
    } catch (err) {
      setError(err as Error);
      if (err instanceof ApiError) setFields(err.fieldErrors);
    } finally {
      setBusy(false);
    }
  };
  const others = otherPipelineErrors(fields);
  const set = <K extends keyof Form>(k: K, patch: Partial<Form[K]>) => setF({ ...f, [k]: { ...(f[k] as object), ...patch } });
  const tzErr = fields.timezone;
  const cronErr = fields.schedule;

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={pipeline ? "Edit the pipeline" : "Configure the pipeline"} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" noValidate>
      <h3 className="text-base font-semibold">{pipeline ? "Edit the pipeline" : "Configure the pipeline"}</h3>
      <ErrorBanner error={error} />
      {others.length ? (
        <ul aria-label="Other problems" className="list-inside list-disc text-xs text-red-700">
          {others.map(([k, m]) => (
            <li key={k}>
              {k}: {m}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="flex flex-wrap gap-4">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={f.enabled} onChange={(e) => setF({ ...f, enabled: e.target.checked })} />
          Pipeline enabled
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={f.scheduled} onChange={(e) => setF({ ...f, scheduled: e.target.checked })} />
          Run on a schedule
        </label>
      </div>
      {f.scheduled ? (
        <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2">
          <legend className="px-1 text-sm font-medium">Schedule</legend>
          <div className="space-y-1">
            <label htmlFor="pl-cron" className="block text-sm text-slate-700">
              Pipeline cron (minute hour day month weekday)
            </label>
            <input
              id="pl-cron"
              value={f.cron}
              onChange={(e) => setF({ ...f, cron: e.target.value })}
              className={`${INPUT} block w-full font-mono`}
              {...(cronErr ? { "aria-invalid": true as const, "aria-describedby": "pl-cron-error" } : {})}
            />
            <CronPreview cron={f.cron} timezone={f.timezone || siteTz} />
            {cronErr ? (
              <p id="pl-cron-error" className="text-xs text-red-700">
                {cronErr}
              </p>
            ) : null}
          </div>
          <div className="space-y-1">
            <label htmlFor="pl-timezone" className="block text-sm text-slate-700">
              Pipeline time zone
            </label>
            <input
              id="pl-timezone"
              list="pl-timezones"
              value={f.timezone}
              placeholder={`${siteTz} (the site's)`}
              onChange={(e) => setF({ ...f, timezone: e.target.value })}
              className={`${INPUT} block w-full`}
              {...(tzErr ? { "aria-invalid": true as const, "aria-describedby": "pl-timezone-error" } : { "aria-describedby": "pl-timezone-hint" })}
            />
            <datalist id="pl-timezones">
              {tzs.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            {tzErr ? (
              <p id="pl-timezone-error" className="text-xs text-red-700">
                {tzErr}
              </p>
            ) : (
              <p id="pl-timezone-hint" className="text-xs text-slate-500">
                Empty: the site's time zone ({siteTz}).
              </p>
            )}
          </div>
        </fieldset>
      ) : (
        <p className="text-xs text-slate-600">Without a schedule the pipeline runs when started (“Run pipeline now”) and after each of its jobs.</p>
      )}
      <div className="grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
        <Stage name="cluster" enabled={f.cluster.enabled} onToggle={(on) => set("cluster", { enabled: on })}>
          <Num label="Cluster from (new keywords)" field="stages.cluster.min_keywords" value={f.cluster.min_keywords} onChange={(v) => set("cluster", { min_keywords: v })} errors={fields} hint="5 to 1000" />
        </Stage>
        <Stage name="ideas" enabled={f.ideas.enabled} onToggle={(on) => set("ideas", { enabled: on })}>
          <Num label="Ideas per cluster" field="stages.ideas.per_cluster" value={f.ideas.per_cluster} onChange={(v) => set("ideas", { per_cluster: v })} errors={fields} hint="3 to 7" />
        </Stage>
        <Stage name="tasks" enabled={f.tasks.enabled} onToggle={(on) => set("tasks", { enabled: on })} />
        <Stage name="content" enabled={f.content.enabled} onToggle={(on) => set("content", { enabled: on })}>
          <Num label="Articles per run" field="stages.content.batch_size" value={f.content.batch_size} onChange={(v) => set("content", { batch_size: v })} errors={fields} hint="1 to 50" />
          <Num label="Words per article" field="stages.content.word_count" value={f.content.word_count} onChange={(v) => set("content", { word_count: v })} errors={fields} hint="300 to 5000" />
        </Stage>
        <Stage name="image_prompts" enabled={f.image_prompts.enabled} onToggle={(on) => set("image_prompts", { enabled: on })} />
        <Stage name="images" enabled={f.images.enabled} onToggle={(on) => set("images", { enabled: on })} />
        <Stage name="review">
          <label htmlFor="pl-review" className="block text-xs text-slate-700">
            Review mode
          </label>
          <select
            id="pl-review"
            value={f.review.mode}
            onChange={(e) => set("review", { mode: e.target.value })}
            className={INPUT}
            {...(fields["stages.review.mode"] ? { "aria-invalid": true as const, "aria-describedby": errId("stages.review.mode") } : {})}
          >
            <option value="manual">manual: editors approve</option>
            <option value="auto_approve">auto_approve: approve drafts with images</option>
          </select>
          {fields["stages.review.mode"] ? (
            <p id={errId("stages.review.mode")} className="text-xs text-red-700">
              {fields["stages.review.mode"]}
            </p>
          ) : null}
        </Stage>
        <Stage name="publish" enabled={f.publish.enabled} onToggle={(on) => set("publish", { enabled: on })}>
          <Num
            label="Spread (minutes between posts)"
            field="stages.publish.spread_minutes"
            value={f.publish.spread_minutes}
            onChange={(v) => set("publish", { spread_minutes: v })}
            errors={fields}
            hint="0: all at once; needs WordPress"
          />
        </Stage>
      </div>
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          Save pipeline
        </button>
        <button type="button" className={BTN} onClick={onDone}>
          Close without saving
        </button>
      </div>
    </form>
  );
}
