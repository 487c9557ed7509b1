// The pipeline form: what the user edits, the PipelineInput it becomes
// (`POST /api/v1/automation/pipelines/`, a full replacement), and which of the
// API's field errors (`stages.ideas.per_cluster`, `schedule`, `timezone`) each
// field shows. Defaults and limits are those of shared/src/automation/pipeline.rs.
import type { FieldErrors, Schemas } from "../../api";

export type Pipeline = Schemas["Pipeline"];

export const STAGES = ["cluster", "ideas", "tasks", "content", "image_prompts", "images", "review", "publish"] as const;
export type StageName = (typeof STAGES)[number];

export const STAGE_LABELS: Record<StageName, string> = {
  cluster: "Cluster keywords",
  ideas: "Generate ideas",
  tasks: "Create tasks",
  content: "Write content",
  image_prompts: "Image prompts",
  images: "Images",
  review: "Review",
  publish: "Publish",
};

export interface PipelineForm {
  enabled: boolean;
  scheduled: boolean;
  cron: string;
  /** Empty: the site's time zone. */
  timezone: string;
  cluster: { enabled: boolean; min_keywords: string };
  ideas: { enabled: boolean; per_cluster: string };
  tasks: { enabled: boolean };
  content: { enabled: boolean; batch_size: string; word_count: string };
  image_prompts: { enabled: boolean };
  images: { enabled: boolean };
  review: { mode: string };
  publish: { enabled: boolean; spread_minutes: string };
}

const str = (n: number | undefined, dflt: number) => String(n ?? dflt);

/** The form for a pipeline (or a new one, with the API's defaults). */
export function pipelineFormOf(p?: Pipeline | null): PipelineForm {
  const s = p?.stages ?? {};
  return {
    enabled: p?.enabled ?? true,
    scheduled: Boolean(p?.schedule),
    cron: p?.schedule?.cron ?? "0 6 * * *",
    timezone: p?.schedule?.timezone ?? "",
    cluster: { enabled: s.cluster?.enabled ?? true, min_keywords: str(s.cluster?.min_keywords, 5) },
    ideas: { enabled: s.ideas?.enabled ?? true, per_cluster: str(s.ideas?.per_cluster, 3) },
    tasks: { enabled: s.tasks?.enabled ?? true },
    content: { enabled: s.content?.enabled ?? true, batch_size: str(s.content?.batch_size, 5), word_count: str(s.content?.word_count, 1500) },
    image_prompts: { enabled: s.image_prompts?.enabled ?? true },
    images: { enabled: s.images?.enabled ?? true },
    review: { mode: s.review?.mode ?? "manual" },
    publish: { enabled: s.publish?.enabled ?? false, spread_minutes: str(s.publish?.spread_minutes, 0) },
  };
}

/**
 * The body to send, or the fields that are not whole numbers (named as the
 * API names them) — nothing is sent then, since the API would refuse the whole
 * body without saying which field.
 */
export function pipelineInput(f: PipelineForm, siteId: string): { body: Schemas["PipelineInput"] } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const num = (field: string, v: string): number => {
    const t = v.trim();
    if (!/^\d+$/.test(t)) errors[field] = "must be a whole number";
    return Number(t);
  };
  const stages: Schemas["Stages"] = {
    cluster: { enabled: f.cluster.enabled, min_keywords: num("stages.cluster.min_keywords", f.cluster.min_keywords) },
    ideas: { enabled: f.ideas.enabled, per_cluster: num("stages.ideas.per_cluster", f.ideas.per_cluster) },
    tasks: { enabled: f.tasks.enabled },
    content: { enabled: f.content.enabled, batch_size: num("stages.content.batch_size", f.content.batch_size), word_count: num("stages.content.word_count", f.content.word_count) },
    image_prompts: { enabled: f.image_prompts.enabled },
    images: { enabled: f.images.enabled },
    review: { mode: f.review.mode },
    publish: { enabled: f.publish.enabled, spread_minutes: num("stages.publish.spread_minutes", f.publish.spread_minutes) },
  };
  if (Object.keys(errors).length) return { errors };
  const body: Schemas["PipelineInput"] = { site_id: siteId, enabled: f.enabled, stages };
  if (f.scheduled) {
    body.schedule = f.cron.trim();
    if (f.timezone.trim()) body.timezone = f.timezone.trim();
  }
  return { body };
}

/** The field keys the form shows beside a field; the rest are listed. */
export const SHOWN_FIELDS = [
  "schedule",
  "timezone",
  "enabled",
  "stages.cluster.min_keywords",
  "stages.ideas.per_cluster",
  "stages.content.batch_size",
  "stages.content.word_count",
  "stages.review.mode",
  "stages.publish.spread_minutes",
];

export const otherPipelineErrors = (fields: FieldErrors): [string, string][] => Object.entries(fields).filter(([k]) => !SHOWN_FIELDS.includes(k));

/** A stage's settings in words (for the stage cards). */
export function stageSettings(stage: string, s: Schemas["Stages"]): string {
  const on = (x?: { enabled?: boolean }) => x?.enabled !== false;
  switch (stage) {
    case "cluster":
      return on(s.cluster) ? `from ${s.cluster?.min_keywords ?? 5} new keywords` : "off";
    case "ideas":
      return on(s.ideas) ? `${s.ideas?.per_cluster ?? 3} per cluster` : "off";
    case "tasks":
    case "image_prompts":
    case "images":
      return on(s[stage]) ? "on" : "off";
    case "content":
      return on(s.content) ? `${s.content?.batch_size ?? 5} at a time, ${s.content?.word_count ?? 1500} words` : "off";
    case "review":
      return (s.review?.mode ?? "manual") === "auto_approve" ? "approved automatically" : "editors approve";
    case "publish":
      if (s.publish?.enabled !== true) return "off";
      return s.publish.spread_minutes ? `one every ${s.publish.spread_minutes} min` : "at once";
    default:
      return "";
  }
}
