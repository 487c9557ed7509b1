// The rule builder: name, trigger (manual, schedule with a cron expression and
// its human-readable preview computed here, time zone; or an event),
// conditions, actions, budget, enabled. The API validates at save time and its
// field-level `errors` are shown next to the fields they name.
import { useMemo, useState, type FormEvent } from "react";
import { ApiError, type Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { cronPreview } from "../../lib/cron";
import { ACTIONS, EVENTS, FIELDS, OPERATORS, TRIGGERS, emptyRule, formOf, mapRuleErrors, ruleInput, type RuleErrors, type RuleForm } from "../../lib/ruleForm";
import { BTN, INPUT, PRIMARY } from "../settings/common";

const NO_ERRORS: RuleErrors = { fields: {}, conditions: {}, actions: {}, other: [] };

function zones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

function Err({ id, msg }: { id: string; msg?: string }) {
  return msg ? (
    <p id={id} className="text-xs text-red-700">
      {msg}
    </p>
  ) : null;
}

/** aria props of an input whose error has id `id`. */
const inv = (id: string, msg?: string) => (msg ? { "aria-invalid": true as const, "aria-describedby": id } : {});

export function CronPreview({ cron, timezone }: { cron: string; timezone: string }) {
  const p = cronPreview(cron, timezone);
  return (
    <p data-testid="cron-preview" aria-live="polite" className={`text-xs ${p.ok ? "text-slate-700" : "text-amber-800"}`}>
      {p.ok ? p.text : `Not a valid schedule: ${p.error}`}
    </p>
  );
}

interface Props {
  rule?: Schemas["Rule"];
  siteId: string;
  sectorId: string | null;
  save(body: Schemas["RuleInput"], id?: string): Promise<unknown>;
  onDone(): void;
}

export function RuleBuilder({ rule, siteId, sectorId, save, onDone }: Props) {
  const [f, setF] = useState<RuleForm>(() => (rule ? formOf(rule) : emptyRule()));
  const [errors, setErrors] = useState<RuleErrors>(NO_ERRORS);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const tzs = useMemo(zones, []);
  const fe = errors.fields;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setErrors(NO_ERRORS);
    try {
      await save(ruleInput(f, siteId, sectorId, rule?.version), rule?.id);
      onDone();
    } catch (err) {
      setError(err as Error);
      if (err instanceof ApiError) setErrors(mapRuleErrors(err.fieldErrors));
    } finally {
      setBusy(false);
    }
  };
  const setCond = (i: number, patch: Partial<RuleForm["conditions"][number]>) =>
    setF({ ...f, conditions: f.conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const setAction = (i: number, patch: Partial<RuleForm["actions"][number]>) => setF({ ...f, actions: f.actions.map((a, j) => (j === i ? { ...a, ...patch } : a)) });

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={rule ? `Edit rule ${rule.name}` : "New rule"} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4" noValidate>
      <h2 className="text-base font-semibold">{rule ? `Edit rule ${rule.name}` : "New rule"}</h2>
      <ErrorBanner error={error} />
      {errors.other.length ? (
        <ul aria-label="Other problems" className="list-inside list-disc text-xs text-red-700">
          {errors.other.map(([k, m]) => (
            <li key={k}>
              {k}: {m}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-3">
        <div className="space-y-1 sm:col-span-2">
          <label htmlFor="rule-name" className="block text-sm font-medium text-slate-700">
            Rule name
          </label>
          <input id="rule-name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} className={`${INPUT} block w-full`} {...inv("rule-name-error", fe.name)} />
          <Err id="rule-name-error" msg={fe.name} />
        </div>
        <div className="space-y-1">
          <label htmlFor="rule-trigger" className="block text-sm font-medium text-slate-700">
            Trigger
          </label>
          <select id="rule-trigger" value={f.trigger} onChange={(e) => setF({ ...f, trigger: e.target.value })} className={`${INPUT} block w-full`} {...inv("rule-trigger-error", fe.trigger)}>
            {TRIGGERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          <Err id="rule-trigger-error" msg={fe.trigger} />
        </div>
      </div>

      {f.trigger === "schedule" ? (
        <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2">
          <legend className="px-1 text-sm font-medium">Schedule</legend>
          <div className="space-y-1">
            <label htmlFor="rule-cron" className="block text-sm text-slate-700">
              Cron (minute hour day month weekday)
            </label>
            <input id="rule-cron" value={f.cron} onChange={(e) => setF({ ...f, cron: e.target.value })} className={`${INPUT} block w-full font-mono`} {...inv("rule-cron-error", fe.cron)} />
            <CronPreview cron={f.cron} timezone={f.timezone} />
            <Err id="rule-cron-error" msg={fe.cron} />
          </div>
          <div className="space-y-1">
            <label htmlFor="rule-timezone" className="block text-sm text-slate-700">
              Time zone
            </label>
            <input id="rule-timezone" list="rule-timezones" value={f.timezone} onChange={(e) => setF({ ...f, timezone: e.target.value })} className={`${INPUT} block w-full`} {...inv("rule-timezone-error", fe.timezone)} />
            <datalist id="rule-timezones">
              {tzs.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            <Err id="rule-timezone-error" msg={fe.timezone} />
          </div>
        </fieldset>
      ) : null}
      {f.trigger === "event" ? (
        <div className="space-y-1">
          <label htmlFor="rule-event" className="block text-sm font-medium text-slate-700">
            When this happens
          </label>
          <select id="rule-event" value={f.event} onChange={(e) => setF({ ...f, event: e.target.value })} className={INPUT} {...inv("rule-event-error", fe.event)}>
            {EVENTS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          <Err id="rule-event-error" msg={fe.event} />
        </div>
      ) : null}

      <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-medium">Conditions (all must hold)</legend>
        <Err id="rule-conditions-error" msg={fe.conditions} />
        {f.conditions.map((c, i) => {
          const ce = errors.conditions[i] ?? {};
          const valueless = c.operator === "is_empty" || c.operator === "is_not_empty";
          return (
            <div key={i} role="group" aria-label={`Condition ${i + 1}`} className="flex flex-wrap items-start gap-2">
              <div>
                <label className="sr-only" htmlFor={`cond-${i}-field`}>
                  Condition {i + 1} field
                </label>
                <input id={`cond-${i}-field`} list="cond-fields" value={c.field} onChange={(e) => setCond(i, { field: e.target.value })} className={INPUT} {...inv(`cond-${i}-field-error`, ce.field)} />
                <Err id={`cond-${i}-field-error`} msg={ce.field} />
              </div>
              <div>
                <label className="sr-only" htmlFor={`cond-${i}-operator`}>
                  Condition {i + 1} operator
                </label>
                <select id={`cond-${i}-operator`} value={c.operator} onChange={(e) => setCond(i, { operator: e.target.value })} className={INPUT} {...inv(`cond-${i}-operator-error`, ce.operator)}>
                  {OPERATORS.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
                <Err id={`cond-${i}-operator-error`} msg={ce.operator} />
              </div>
              {!valueless ? (
                <div>
                  <label className="sr-only" htmlFor={`cond-${i}-value`}>
                    Condition {i + 1} value
                  </label>
                  <input
                    id={`cond-${i}-value`}
                    value={c.value}
                    placeholder={c.operator === "older_than" ? "P7D" : c.operator.endsWith("in") ? "a, b, c" : "value"}
                    onChange={(e) => setCond(i, { value: e.target.value })}
                    className={INPUT}
                    {...inv(`cond-${i}-value-error`, ce.value)}
                  />
                  <Err id={`cond-${i}-value-error`} msg={ce.value} />
                </div>
              ) : null}
              <button type="button" className={BTN} onClick={() => setF({ ...f, conditions: f.conditions.filter((_, j) => j !== i) })}>
                Remove condition {i + 1}
              </button>
              <Err id={`cond-${i}-error`} msg={ce.row} />
            </div>
          );
        })}
        <datalist id="cond-fields">
          {FIELDS.map((x) => (
            <option key={x} value={x} />
          ))}
        </datalist>
        <button type="button" className={BTN} onClick={() => setF({ ...f, conditions: [...f.conditions, { field: "keyword.status", operator: "equals", value: "new" }] })}>
          Add condition
        </button>
      </fieldset>

      <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-medium">Actions (in order)</legend>
        <Err id="rule-actions-error" msg={fe.actions} />
        {f.actions.map((a, i) => {
          const ae = errors.actions[i] ?? {};
          return (
            <div key={i} role="group" aria-label={`Action ${i + 1}`} className="flex flex-wrap items-start gap-2">
              <div>
                <label className="sr-only" htmlFor={`act-${i}-type`}>
                  Action {i + 1}
                </label>
                <select id={`act-${i}-type`} value={a.type} onChange={(e) => setAction(i, { type: e.target.value })} className={INPUT} {...inv(`act-${i}-type-error`, ae.type)}>
                  {(ACTIONS.includes(a.type) ? ACTIONS : [a.type, ...ACTIONS]).map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
                <Err id={`act-${i}-type-error`} msg={ae.type} />
              </div>
              <div>
                <label className="sr-only" htmlFor={`act-${i}-batch`}>
                  Action {i + 1} batch size
                </label>
                <input id={`act-${i}-batch`} value={a.batchSize} placeholder="batch 10" onChange={(e) => setAction(i, { batchSize: e.target.value })} className={`${INPUT} w-24`} {...inv(`act-${i}-batch-error`, ae.batchSize)} />
                <Err id={`act-${i}-batch-error`} msg={ae.batchSize} />
              </div>
              <button type="button" className={BTN} onClick={() => setF({ ...f, actions: f.actions.filter((_, j) => j !== i) })}>
                Remove action {i + 1}
              </button>
              <Err id={`act-${i}-error`} msg={ae.row} />
            </div>
          );
        })}
        <button type="button" className={BTN} onClick={() => setF({ ...f, actions: [...f.actions, { type: "generate_ideas", batchSize: "" }] })}>
          Add action
        </button>
      </fieldset>

      <div className="flex flex-wrap items-start gap-4">
        <div className="space-y-1">
          <label htmlFor="rule-max-credits" className="block text-sm font-medium text-slate-700">
            Credit budget per run
          </label>
          <input id="rule-max-credits" value={f.maxCredits} placeholder="no limit" onChange={(e) => setF({ ...f, maxCredits: e.target.value })} className={`${INPUT} w-32`} {...inv("rule-max-error", fe.maxCredits)} />
          <Err id="rule-max-error" msg={fe.maxCredits} />
        </div>
        <label className="mt-6 flex items-center gap-2 text-sm">
          <input type="checkbox" checked={f.enabled} onChange={(e) => setF({ ...f, enabled: e.target.checked })} />
          Enabled
        </label>
        <Err id="rule-enabled-error" msg={fe.enabled} />
      </div>
      <div className="flex gap-2">
        <button type="submit" disabled={busy} className={PRIMARY}>
          {rule ? "Save rule" : "Create rule"}
        </button>
        <button type="button" className={BTN} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
