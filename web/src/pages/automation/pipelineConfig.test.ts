import { describe, expect, it } from "vitest";
import { otherPipelineErrors, pipelineFormOf, pipelineInput, stageSettings, type Pipeline } from "./pipelineConfig";

const SAVED = {
  account_id: "a1",
  site_id: "s1",
  state: "paused",
  enabled: false,
  schedule: { cron: "30 5 * * *", timezone: "America/New_York", expression: "cron(30 5 * * ? *)" },
  stages: {
    cluster: { enabled: false, min_keywords: 20 },
    ideas: { enabled: true, per_cluster: 7 },
    tasks: { enabled: true },
    content: { enabled: true, batch_size: 2, word_count: 800 },
    image_prompts: { enabled: false },
    images: { enabled: false },
    review: { mode: "auto_approve" },
    publish: { enabled: true, spread_minutes: 90 },
  },
  created_at: "",
  created_by: "u1",
  updated_at: "",
  version: 4,
} satisfies Pipeline;

describe("pipeline form", () => {
  it("a saved pipeline round-trips through the form unchanged, its time zone kept", () => {
    const built = pipelineInput(pipelineFormOf(SAVED), "s1");
    expect(built).toEqual({ body: { site_id: "s1", enabled: false, schedule: "30 5 * * *", timezone: "America/New_York", stages: SAVED.stages } });
  });

  it("a new pipeline has the API's defaults and no schedule (nor time zone) unless asked", () => {
    const f = pipelineFormOf(null);
    const built = pipelineInput(f, "s1");
    expect(built).toEqual({
      body: {
        site_id: "s1",
        enabled: true,
        stages: {
          cluster: { enabled: true, min_keywords: 5 },
          ideas: { enabled: true, per_cluster: 3 },
          tasks: { enabled: true },
          content: { enabled: true, batch_size: 5, word_count: 1500 },
          image_prompts: { enabled: true },
          images: { enabled: true },
          review: { mode: "manual" },
          publish: { enabled: false, spread_minutes: 0 },
        },
      },
    });
    const scheduled = pipelineInput({ ...f, scheduled: true, cron: " @daily ", timezone: "" }, "s1");
    expect("body" in scheduled && scheduled.body.schedule).toBe("@daily");
    expect("body" in scheduled && "timezone" in scheduled.body).toBe(false);
  });

  it("names every field that is not a whole number, as the API names it, and sends nothing", () => {
    const f = pipelineFormOf(null);
    expect(pipelineInput({ ...f, ideas: { enabled: true, per_cluster: "3.5" }, publish: { enabled: true, spread_minutes: "-1" } }, "s1")).toEqual({
      errors: { "stages.ideas.per_cluster": "must be a whole number", "stages.publish.spread_minutes": "must be a whole number" },
    });
  });

  it("lists the errors no field shows", () => {
    expect(otherPipelineErrors({ "stages.ideas.per_cluster": "x", site_id: "is not a site", stages: "does not fit" })).toEqual([
      ["site_id", "is not a site"],
      ["stages", "does not fit"],
    ]);
  });

  it("says each stage's settings in words", () => {
    expect(["cluster", "ideas", "tasks", "content", "image_prompts", "images", "review", "publish"].map((s) => stageSettings(s, SAVED.stages))).toEqual([
      "off",
      "7 per cluster",
      "on",
      "2 at a time, 800 words",
      "off",
      "off",
      "approved automatically",
      "one every 90 min",
    ]);
    expect(stageSettings("publish", { publish: { enabled: true, spread_minutes: 0 } })).toBe("at once");
    expect(stageSettings("review", {})).toBe("editors approve");
  });
});
