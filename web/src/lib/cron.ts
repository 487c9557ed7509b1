// Unix cron (5 fields, `@hourly`, `@daily`, …) read in the browser, for the
// rule builder's human-readable preview. It accepts what the API accepts
// (shared/src/automation/cron.rs: the same ranges, names, steps and macros)
// and words it; the API stays the judge at save time.

export const MACROS: Record<string, string> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

interface Spec {
  name: string;
  min: number;
  max: number;
  names: string[];
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const SPECS: Spec[] = [
  { name: "minute", min: 0, max: 59, names: [] },
  { name: "hour", min: 0, max: 23, names: [] },
  { name: "day of month", min: 1, max: 31, names: [] },
  { name: "month", min: 1, max: 12, names: MONTHS.map((m) => m.slice(0, 3).toUpperCase()) },
  { name: "day of week", min: 0, max: 7, names: DAYS.map((d) => d.slice(0, 3).toUpperCase()) },
];

export interface CronField {
  /** The values selected, ascending. */
  values: number[];
  /** `*` (every value). */
  star: boolean;
  /** `*\/n` or `a/n`: the step, else 1. */
  step: number;
}

export interface Cron {
  minute: CronField;
  hour: CronField;
  dom: CronField;
  month: CronField;
  /** Sundays as 0 (7 folded into 0). */
  dow: CronField;
}

export class CronError extends Error {}

function value(s: string, spec: Spec, base: number): number {
  const i = spec.names.findIndex((n) => n === s.toUpperCase());
  if (i >= 0) return i + base;
  if (!/^\d+$/.test(s)) throw new CronError(`${spec.name}: "${s}" is not a number`);
  const v = Number(s);
  if (v < spec.min || v > spec.max) throw new CronError(`${spec.name}: ${v} is outside ${spec.min}–${spec.max}`);
  return v;
}

function field(s: string, spec: Spec, base: number): CronField {
  if (s === "*") return { values: range(spec.min, spec.max, 1), star: true, step: 1 };
  const values = new Set<number>();
  let stepSeen = 1;
  for (const part of s.split(",")) {
    const [r, st] = part.split("/") as [string, string | undefined];
    let step = 1;
    if (st !== undefined) {
      if (!/^\d+$/.test(st)) throw new CronError(`${spec.name}: step "${st}" is not a number`);
      step = Number(st);
      if (step === 0) throw new CronError(`${spec.name}: a step must be at least 1`);
      stepSeen = step;
    }
    let lo: number;
    let hi: number;
    if (r === "*") {
      [lo, hi] = [spec.min, spec.max];
    } else if (r.includes("-")) {
      const [a, b] = r.split("-") as [string, string];
      [lo, hi] = [value(a, spec, base), value(b, spec, base)];
      if (lo > hi) throw new CronError(`${spec.name}: range ${lo}-${hi} runs backwards`);
    } else {
      lo = value(r, spec, base);
      hi = step > 1 ? spec.max : lo;
    }
    for (const v of range(lo, hi, step)) values.add(v);
  }
  if (values.size === 0) throw new CronError(`${spec.name}: "${s}" selects nothing`);
  return { values: [...values].sort((a, b) => a - b), star: false, step: stepSeen };
}

function range(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi; v += step) out.push(v);
  return out;
}

/** Parses a unix cron expression; throws a CronError naming the bad field. */
export function parseCron(expr: string): Cron {
  const e = expr.trim();
  let text = e;
  if (e.startsWith("@")) {
    const m = MACROS[e.toLowerCase()];
    if (!m) throw new CronError(`unknown macro "${e}": use @hourly, @daily, @weekly, @monthly or @yearly`);
    text = m;
  }
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => field(p, SPECS[i]!, i === 3 ? 1 : 0)) as [CronField, CronField, CronField, CronField, CronField];
  const days = [...new Set(dow.values.map((d) => d % 7))].sort((a, b) => a - b);
  return { minute, hour, dom, month, dow: { ...dow, values: days, star: dow.star || days.length === 7 } };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "a", "a and b", "a, b and c". */
export function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Consecutive runs of numbers as [from, to] pairs. */
function runs(values: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

function named(values: number[], names: string[]): string {
  return joinAnd(runs(values).map(([a, b]) => (a === b ? names[a]! : b === a + 1 ? `${names[a]} and ${names[b]}` : `${names[a]} through ${names[b]}`)));
}

function timePart(c: Cron): string {
  const { minute: m, hour: h } = c;
  const everyStep = (f: CronField, spec: Spec) => !f.star && f.step > 1 && f.values[0] === spec.min && f.values.length === range(spec.min, spec.max, f.step).length;
  if (m.star && h.star) return "Every minute";
  if (m.star) return `Every minute during ${h.values.length === 1 ? `the ${pad(h.values[0]!)}:00 hour` : `hours ${joinAnd(h.values.map(pad))}`}`;
  if (everyStep(m, SPECS[0]!)) {
    const every = `Every ${m.step} minutes`;
    return h.star ? every : `${every} during hours ${joinAnd(h.values.map(pad))}`;
  }
  if (h.star) {
    if (m.values.length === 1) return m.values[0] === 0 ? "Every hour, on the hour" : `Every hour at ${m.values[0]} minutes past`;
    return `Every hour at minutes ${joinAnd(m.values.map(String))}`;
  }
  if (everyStep(h, SPECS[1]!) && m.values.length === 1) return `Every ${h.step} hours at ${pad(m.values[0]!)} minutes past`;
  const times = h.values.flatMap((hh) => m.values.map((mm) => `${pad(hh)}:${pad(mm)}`));
  if (times.length <= 6) return `At ${joinAnd(times)}`;
  return `At minutes ${joinAnd(m.values.map(String))} past hours ${joinAnd(h.values.map(pad))}`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${s}`;
}

function dayPart(c: Cron): string {
  const dom = c.dom.star ? null : `on the ${joinAnd(c.dom.values.map(ordinal))} of the month`;
  const dow = c.dow.star ? null : `on ${named(c.dow.values, DAYS)}`;
  // Unix cron: with both restricted, a day matching either runs.
  if (dom && dow) return `${dom} or ${dow}`;
  return dom ?? dow ?? "every day";
}

/** "At 09:00, on Monday through Friday (Europe/Berlin)". */
export function describeCron(expr: string, timezone = "UTC"): string {
  const c = parseCron(expr);
  const parts = [timePart(c), dayPart(c)];
  if (!c.month.star) parts.push(`in ${named(c.month.values.map((m) => m - 1), MONTHS)}`);
  return `${parts.join(", ")} (${timezone || "UTC"})`;
}

/** The preview line, or the reason the expression is not valid. */
export function cronPreview(expr: string, timezone?: string): { ok: true; text: string } | { ok: false; error: string } {
  if (!expr.trim()) return { ok: false, error: "Enter a cron expression, e.g. 0 9 * * 1-5" };
  try {
    return { ok: true, text: describeCron(expr, timezone) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
