// The rule builder's form: what the user edits, the RuleInput it becomes, and
// the API's field-level `errors` (`schedule.timezone`, `conditions[0].value`,
// `actions[1].params.batch_size`) mapped back onto the form's fields.
import type { FieldErrors, Schemas } from "../api";

export const TRIGGERS = ["manual", "schedule", "event"] as const;
export const EVENTS = ["keywords_imported", "clusters_created", "ideas_generated", "content_generated", "images_generated", "job_failed", "content_published"];
export const ACTIONS = ["auto_cluster", "generate_ideas", "create_tasks", "generate_content", "generate_image_prompts", "generate_images", "publish"];
export const OPERATORS = ["equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "starts_with", "is_empty", "is_not_empty", "older_than"];
/** Condition fields the API reads (shared/src/automation/conditions.rs). */
export const FIELDS = [
  "keyword.keyword", "keyword.status", "keyword.volume", "keyword.difficulty", "keyword.cpc", "keyword.intent", "keyword.cluster_id", "keyword.created_at",
  "cluster.name", "cluster.status", "cluster.keyword_count", "cluster.volume", "cluster.difficulty", "cluster.created_at",
  "idea.title", "idea.status", "idea.structure", "idea.word_count", "idea.created_at",
  "task.title", "task.status", "task.word_count", "task.created_at", "task.updated_at",
  "content.title", "content.status", "content.word_count", "content.created_at", "content.updated_at",
];

export interface ConditionRow {
  field: string;
  operator: string;
  value: string;
}
export interface ActionRow {
  type: string;
  /** Empty: the API's default (10). */
  batchSize: string;
}
export interface RuleForm {
  name: string;
  trigger: string;
  cron: string;
  timezone: string;
  event: string;
  conditions: ConditionRow[];
  actions: ActionRow[];
  enabled: boolean;
  maxCredits: string;
}

export const emptyRule = (): RuleForm => ({
  name: "",
  trigger: "manual",
  cron: "0 9 * * 1-5",
  timezone: "UTC",
  event: "keywords_imported",
  conditions: [],
  actions: [{ type: "auto_cluster", batchSize: "" }],
  enabled: true,
  maxCredits: "",
});

export function formOf(rule: Schemas["Rule"]): RuleForm {
  const params = (a: Schemas["Action"]) => (a.params ?? {}) as Record<string, unknown>;
  return {
    name: rule.name,
    trigger: rule.trigger,
    cron: rule.schedule?.cron ?? "0 9 * * 1-5",
    timezone: rule.schedule?.timezone ?? "UTC",
    event: rule.event?.type ?? "keywords_imported",
    conditions: (rule.conditions ?? []).map((c) => ({ field: c.field, operator: c.operator, value: valueText(c.value) })),
    actions: rule.actions.map((a) => ({ type: a.type, batchSize: params(a).batch_size != null ? String(params(a).batch_size) : "" })),
    enabled: rule.enabled,
    maxCredits: rule.max_credits_per_run != null ? String(rule.max_credits_per_run) : "",
  };
}

function valueText(v: unknown): string {
  if (v == null) return "";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

/** A condition's value as the API reads it: none for the emptiness tests, a
 * list for in/not_in, a number for comparisons of numbers, else the text. */
export function conditionValue(c: ConditionRow): unknown {
  if (c.operator === "is_empty" || c.operator === "is_not_empty") return undefined;
  if (c.operator === "in" || c.operator === "not_in") return c.value.split(",").map((s) => s.trim()).filter(Boolean);
  const t = c.value.trim();
  if (["gt", "gte", "lt", "lte", "equals", "not_equals"].includes(c.operator) && t !== "" && !Number.isNaN(Number(t))) return Number(t);
  return t;
}

/** The body to POST (or PATCH, with the version) for this form. Numbers the
 * user typed go as numbers when they are numbers and as text otherwise, so the
 * API reports what is wrong with them. */
export function ruleInput(f: RuleForm, siteId: string, sectorId: string | null, version?: number): Schemas["RuleInput"] {
  const num = (s: string): unknown => (s.trim() === "" ? undefined : Number.isNaN(Number(s)) ? s : Number(s));
  const body: Record<string, unknown> = {
    name: f.name,
    site_id: siteId,
    trigger: f.trigger,
    enabled: f.enabled,
    conditions: f.conditions.map((c) => {
      const v = conditionValue(c);
      return v === undefined ? { field: c.field, operator: c.operator } : { field: c.field, operator: c.operator, value: v };
    }),
    actions: f.actions.map((a) => {
      const b = num(a.batchSize);
      return b === undefined ? { type: a.type } : { type: a.type, params: { batch_size: b } };
    }),
  };
  if (sectorId) body.sector_id = sectorId;
  if (f.trigger === "schedule") body.schedule = { cron: f.cron, timezone: f.timezone || "UTC" };
  else if (version !== undefined) body.schedule = null;
  if (f.trigger === "event") body.event = { type: f.event };
  else if (version !== undefined) body.event = null;
  const max = num(f.maxCredits);
  if (max !== undefined) body.max_credits_per_run = max;
  else if (version !== undefined) body.max_credits_per_run = null;
  if (version !== undefined) body.version = version;
  return body as unknown as Schemas["RuleInput"];
}

export interface RowErrors {
  [part: string]: string | undefined;
}
export interface RuleErrors {
  /** Top-level fields: name, trigger, cron, timezone, event, enabled, maxCredits, conditions, actions. */
  fields: Partial<Record<keyof RuleForm, string>>;
  conditions: Record<number, { field?: string; operator?: string; value?: string; row?: string }>;
  actions: Record<number, { type?: string; batchSize?: string; row?: string }>;
  /** Errors naming no field of the form (site_id, an unknown key): shown in a list so none is lost. */
  other: [string, string][];
}

const add = (prev: string | undefined, msg: string) => (prev ? `${prev}; ${msg}` : msg);

/** Maps the envelope's field errors onto the form. */
export function mapRuleErrors(errors: FieldErrors): RuleErrors {
  const out: RuleErrors = { fields: {}, conditions: {}, actions: {}, other: [] };
  const top: Record<string, keyof RuleForm> = {
    name: "name",
    trigger: "trigger",
    schedule: "cron",
    "schedule.cron": "cron",
    "schedule.timezone": "timezone",
    event: "event",
    "event.type": "event",
    enabled: "enabled",
    max_credits_per_run: "maxCredits",
    conditions: "conditions",
    actions: "actions",
  };
  for (const [key, msg] of Object.entries(errors)) {
    const t = top[key];
    if (t) {
      out.fields[t] = add(out.fields[t], msg);
      continue;
    }
    const c = /^conditions\[(\d+)\](?:\.(field|operator|value))?/.exec(key);
    if (c) {
      const i = Number(c[1]);
      const part = (c[2] ?? "row") as "field" | "operator" | "value" | "row";
      const row = (out.conditions[i] ??= {});
      row[part] = add(row[part], key.length > c[0].length ? `${key.slice(c[0].length + 1)} ${msg}` : msg);
      continue;
    }
    const a = /^actions\[(\d+)\](?:\.(type|params))?(?:\.(\w+))?/.exec(key);
    if (a) {
      const i = Number(a[1]);
      const row = (out.actions[i] ??= {});
      if (a[2] === "type") row.type = add(row.type, msg);
      else if (a[2] === "params" && a[3] === "batch_size") row.batchSize = add(row.batchSize, msg);
      else row.row = add(row.row, a[3] ? `${a[3]} ${msg}` : msg);
      continue;
    }
    out.other.push([key, msg]);
  }
  return out;
}
