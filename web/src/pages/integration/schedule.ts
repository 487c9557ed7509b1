// Scheduled publishing, the parts that need no React: what the schedule and
// batch forms send, the times a batch will get (a preview computed in the
// browser as the API computes them), and how a scheduled time is shown.
//
// The API reads a local date-time (`2026-12-03T09:00`, what an
// `<input type="datetime-local">` holds) in the site's IANA time zone
// (`shared/src/integration/scheduled.rs`): a batch spaced by whole days keeps
// the local wall-clock time across a daylight-saving change, shorter
// intervals are exact elapsed minutes. The preview follows the same rules.
import type { FieldErrors, Schemas } from "../../api";

export type ScheduledPublish = Schemas["ScheduledPublish"];

const MINUTES_PER_DAY = 24 * 60;

/** Comma-separated names as the API's list (null when empty). */
export function names(s: string): string[] | null {
  const out = s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  return out.length ? out : null;
}

export interface PublishForm {
  content_id: string;
  /** "" (the connection's default), "draft", "publish", or "future" (schedule for `date`). */
  status: string;
  /** With `future`: a local date-time, `YYYY-MM-DDTHH:MM`. */
  date: string;
  categories: string;
  tags: string;
}

/** The body of `POST …/publish/`: `future` sends the local `date` (read in the site's zone). */
export function publishBody(f: PublishForm): Schemas["PublishInput"] {
  const body: Schemas["PublishInput"] = { content_id: f.content_id, status: f.status || null, categories: names(f.categories), tags: names(f.tags) };
  if (f.status === "future") body.date = f.date.trim();
  return body;
}

export interface BatchForm {
  /** In publishing order. */
  content_ids: string[];
  start: string;
  every_minutes: string;
  categories: string;
  tags: string;
}

/** The body of `POST …/publish-batch/`, or the field error when the interval is not a whole number of minutes (nothing is sent then). */
export function batchBody(f: BatchForm): { body: Schemas["PublishBatchInput"] } | { errors: FieldErrors } {
  const m = f.every_minutes.trim();
  if (!/^\d+$/.test(m)) return { errors: { every_minutes: "must be a whole number of minutes" } };
  return {
    body: {
      content_ids: f.content_ids,
      start: f.start.trim(),
      every_minutes: Number(m),
      categories: names(f.categories),
      tags: names(f.tags),
    },
  };
}

// ------------------------------------------------------------ time zones

interface Civil {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

function parseLocal(s: string): Civil | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(s.trim());
  if (!m) return null;
  return { y: +m[1], mo: +m[2], d: +m[3], h: +m[4], mi: +m[5] };
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = fmtCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    fmtCache.set(zone, f);
  }
  return f;
}

/** The wall-clock time of an instant (ms) in a zone. */
function civilAt(ms: number, zone: string): Civil {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour % 24, mi: p.minute };
}

const utcOf = (c: Civil) => Date.UTC(c.y, c.mo - 1, c.d, c.h, c.mi);
/** The zone's offset from UTC at an instant, in ms. */
const offsetAt = (ms: number, zone: string) => utcOf(civilAt(ms, zone)) - (ms - (((ms % 60_000) + 60_000) % 60_000));

/** The instant of a wall-clock time in a zone; a time skipped by a daylight-saving change moves forward, as the API does. */
function instantOf(c: Civil, zone: string): number {
  const guess = utcOf(c);
  const candidates = [...new Set([offsetAt(guess - 86_400_000, zone), offsetAt(guess + 86_400_000, zone), offsetAt(guess, zone)])].map((o) => guess - o);
  const exact = candidates.filter((t) => utcOf(civilAt(t, zone)) === guess).sort((a, b) => a - b);
  if (exact.length) return exact[0];
  // In a gap: the wall time read with the offset before the change lands after it.
  return Math.max(...candidates);
}

const pad = (n: number) => String(n).padStart(2, "0");
const civilText = (c: Civil) => `${c.y}-${pad(c.mo)}-${pad(c.d)} ${pad(c.h)}:${pad(c.mi)}`;
const isoUtc = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, "Z");

/** Whether the browser knows the zone (an unknown one is the API's to refuse). */
export function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export interface PlannedTime {
  /** Wall-clock time in the zone, `YYYY-MM-DD HH:MM`. */
  local: string;
  /** The instant, `YYYY-MM-DDTHH:MMZ`. */
  utc: string;
}

/**
 * The times `n` items of a batch get: from `start` (local, in `zone`), every
 * `everyMinutes`; whole days keep the wall-clock time, other intervals are
 * elapsed minutes. `null` when the start, the interval or the zone cannot be read.
 */
export function batchTimes(start: string, everyMinutes: number, n: number, zone: string): PlannedTime[] | null {
  const c = parseLocal(start);
  if (!c || !Number.isInteger(everyMinutes) || everyMinutes < 1 || n < 1 || !knownZone(zone)) return null;
  const first = instantOf(c, zone);
  const out: PlannedTime[] = [];
  for (let k = 0; k < n; k++) {
    let t: number;
    if (everyMinutes % MINUTES_PER_DAY === 0) {
      const days = (k * everyMinutes) / MINUTES_PER_DAY;
      const day = new Date(Date.UTC(c.y, c.mo - 1, c.d + days));
      t = instantOf({ y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate(), h: c.h, mi: c.mi }, zone);
    } else {
      t = first + k * everyMinutes * 60_000;
    }
    out.push({ local: civilText(civilAt(t, zone)), utc: isoUtc(t) });
  }
  return out;
}

/** A scheduled publish's time as the list shows it: local wall-clock time (from the API's `local_time`) and zone. */
export function shownTime(s: Pick<ScheduledPublish, "local_time" | "timezone" | "publish_at">): string {
  const local = parseLocal(s.local_time);
  return local ? `${civilText(local)} ${s.timezone}` : `${s.publish_at} UTC`;
}

/** Field errors that no field of the batch form shows (none is dropped). */
export function otherErrors(fields: FieldErrors, shown: string[]): [string, string][] {
  return Object.entries(fields).filter(([k]) => !shown.includes(k) && !/^content_ids\[\d+\]$/.test(k));
}
