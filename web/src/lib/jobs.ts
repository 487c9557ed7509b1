// The value of an AI endpoint's answer: an estimate (dry run) or the queued job.
import type { Schemas } from "../api";

export type Submission = Schemas["Submission"];
export type Estimate = Extract<Submission, { dry_run: boolean }>;

export function isEstimate(s: Submission): s is Estimate {
  return "dry_run" in s && (s as Estimate).dry_run === true;
}

/** A string field of a finished job's `result` (e.g. `content_id`). */
export function resultField(job: Schemas["Job"] | null | undefined, key: string): string | null {
  const r = job?.result as Record<string, unknown> | null | undefined;
  const v = r && typeof r === "object" ? r[key] : null;
  return typeof v === "string" ? v : null;
}
