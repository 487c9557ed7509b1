import { describe, expect, it } from "vitest";
import { emptyRule, mapRuleErrors, ruleInput } from "./ruleForm";

describe("rule builder form", () => {
  it("maps the API's field errors onto the fields, rows and parts they name, losing none", () => {
    const e = mapRuleErrors({
      name: "is required (a non-empty string)",
      "schedule.timezone": '"Mars/Base" is not an IANA time zone name (e.g. UTC, Europe/Berlin)',
      schedule: "must be a cron expression or {cron, timezone}",
      "conditions[0].value": "must be a list",
      "conditions[1].field": "is not a field of task",
      "conditions[1].extra": "is not a condition field (field, operator, value)",
      "actions[1].type": "must be one of auto_cluster, …",
      "actions[0].params.batch_size": "must be a whole number from 1 to 50",
      "actions[0].params.count": "is not a parameter of this action",
      max_credits_per_run: "must be a number",
      sector_id: "must be a sector id",
    });
    expect(e.fields).toEqual({
      name: "is required (a non-empty string)",
      timezone: '"Mars/Base" is not an IANA time zone name (e.g. UTC, Europe/Berlin)',
      cron: "must be a cron expression or {cron, timezone}",
      maxCredits: "must be a number",
    });
    expect(e.conditions).toEqual({
      0: { value: "must be a list" },
      1: { field: "is not a field of task", row: "extra is not a condition field (field, operator, value)" },
    });
    expect(e.actions).toEqual({
      0: { batchSize: "must be a whole number from 1 to 50", row: "count is not a parameter of this action" },
      1: { type: "must be one of auto_cluster, …" },
    });
    expect(e.other).toEqual([["sector_id", "must be a sector id"]]);
  });

  it("builds the body the API reads: schedule object, typed condition values, batch sizes", () => {
    const f = {
      ...emptyRule(),
      name: "Nightly",
      trigger: "schedule",
      cron: "0 2 * * *",
      timezone: "Europe/Berlin",
      conditions: [
        { field: "task.status", operator: "in", value: "queued, in_progress" },
        { field: "keyword.volume", operator: "gte", value: "100" },
        { field: "content.title", operator: "is_empty", value: "ignored" },
        { field: "task.created_at", operator: "older_than", value: "P7D" },
      ],
      actions: [
        { type: "generate_content", batchSize: "5" },
        { type: "publish", batchSize: "" },
      ],
      maxCredits: "abc",
    };
    expect(ruleInput(f, "site1", "sec1")).toEqual({
      name: "Nightly",
      site_id: "site1",
      sector_id: "sec1",
      trigger: "schedule",
      enabled: true,
      schedule: { cron: "0 2 * * *", timezone: "Europe/Berlin" },
      conditions: [
        { field: "task.status", operator: "in", value: ["queued", "in_progress"] },
        { field: "keyword.volume", operator: "gte", value: 100 },
        { field: "content.title", operator: "is_empty" },
        { field: "task.created_at", operator: "older_than", value: "P7D" },
      ],
      actions: [{ type: "generate_content", params: { batch_size: 5 } }, { type: "publish" }],
      // Not a number: sent as typed so the API names the problem.
      max_credits_per_run: "abc",
    });
    // An update clears what no longer applies and carries the version.
    const patch = ruleInput({ ...emptyRule(), name: "Manual" }, "site1", null, 3) as Record<string, unknown>;
    expect(patch).toMatchObject({ trigger: "manual", schedule: null, event: null, max_credits_per_run: null, version: 3 });
  });
});
