import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const SITE = { id: "s1", account_id: "a1", name: "Travel Blog", is_active: true, created_at: "", updated_at: "", version: 1 };
const SECTOR = { id: "c1", account_id: "a1", site_id: "s1", name: "City Breaks", is_active: true, created_at: "", updated_at: "", version: 1 };
const RULE = {
  id: "r1",
  account_id: "a1",
  site_id: "s1",
  name: "Weekday clustering",
  trigger: "schedule",
  schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin", expression: "cron(0 9 ? * 2-6 *)" },
  conditions: [{ field: "keyword.status", operator: "equals", value: "new" }],
  actions: [{ type: "auto_cluster" }],
  enabled: true,
  created_at: "",
  created_by: "u1",
  updated_at: "",
  version: 2,
};

function backend(extra: (c: Call) => Response | null = () => null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [SECTOR], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [SITE], next_cursor: null });
    if (c.url.startsWith("/api/v1/automation/rules?")) return envelope({ results: [RULE], next_cursor: null });
    if (c.url.startsWith("/api/v1/automation/pipelines?"))
      return envelope({
        pipeline: { account_id: "a1", site_id: "s1", state: "active", enabled: true, current_stage: "ideas", stages: {}, created_at: "", created_by: "u1", updated_at: "", version: 1 },
        stages: [
          { stage: "cluster", waiting: 12, history: [{ id: "x0", account_id: "a1", rule_id: "p", outcome: "enqueued", created_at: "2026-12-01T10:00:00Z" }] },
          { stage: "ideas", waiting: 3, history: [] },
        ],
      });
    if (c.url === "/api/v1/credits/balance") return envelope({ total: 100, plan_credits: 100, bonus_credits: 0, plan: "starter" });
    return envelope({});
  });
}

beforeEach(() => resetStores());

describe("automation page", () => {
  it("lists rules with the cron in words and the pipeline's stage progress", async () => {
    signInAs("editor");
    backend();
    renderAt("/automation");
    const rules = await screen.findByRole("region", { name: "Rules" });
    expect(await within(rules).findByText("Weekday clustering")).toBeInTheDocument();
    expect(rules).toHaveTextContent("At 09:00, on Monday through Friday (Europe/Berlin)");
    const stages = await screen.findByRole("list", { name: "Pipeline stages" });
    expect(within(stages).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringMatching(/^clusterfrom 5 new keywords12 waitinglast: enqueued/),
      "ideas3 per cluster3 waitingnot run yet",
    ]);
    expect(within(stages).getByText("ideas").closest("li")).toHaveAttribute("aria-current", "step");
  });

  it("shows the API's field errors next to the fields of the rule builder, and previews the cron as it is typed", async () => {
    signInAs("editor");
    const { calls } = backend((c) =>
      c.method === "POST" && c.url === "/api/v1/automation/rules"
        ? failure(400, "The rule is not valid", "VALIDATION_ERROR", [
            { field: "schedule.timezone", message: '"Mars/Base" is not an IANA time zone name (e.g. UTC, Europe/Berlin)' },
            { field: "actions[0].params.batch_size", message: "must be a whole number from 1 to 50" },
            { field: "conditions[0].value", message: "must be a list" },
          ])
        : null,
    );
    renderAt("/automation");
    fireEvent.click(await screen.findByRole("button", { name: "New rule…" }));
    const form = screen.getByRole("form", { name: "New rule" });
    fireEvent.change(within(form).getByLabelText("Rule name"), { target: { value: "Nightly" } });
    fireEvent.change(within(form).getByLabelText("Trigger"), { target: { value: "schedule" } });
    const cron = within(form).getByLabelText(/^Cron/);
    fireEvent.change(cron, { target: { value: "30 2 * * 0" } });
    fireEvent.change(within(form).getByLabelText("Time zone"), { target: { value: "Mars/Base" } });
    expect(within(form).getByTestId("cron-preview")).toHaveTextContent("At 02:30, on Sunday (Mars/Base)");
    fireEvent.change(cron, { target: { value: "30 2 * * 9" } });
    expect(within(form).getByTestId("cron-preview")).toHaveTextContent("Not a valid schedule: day of week: 9 is outside 0–7");
    fireEvent.change(cron, { target: { value: "30 2 * * 0" } });
    fireEvent.click(within(form).getByRole("button", { name: "Add condition" }));
    fireEvent.change(within(form).getByLabelText("Condition 1 operator"), { target: { value: "in" } });
    fireEvent.change(within(form).getByLabelText("Action 1 batch size"), { target: { value: "500" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create rule" }));

    expect(await within(form).findByRole("alert")).toHaveTextContent("The rule is not valid");
    const tz = within(form).getByLabelText("Time zone");
    expect(tz).toHaveAttribute("aria-invalid", "true");
    expect(tz).toHaveAccessibleDescription('"Mars/Base" is not an IANA time zone name (e.g. UTC, Europe/Berlin)');
    expect(within(form).getByLabelText("Action 1 batch size")).toHaveAccessibleDescription("must be a whole number from 1 to 50");
    expect(within(form).getByLabelText("Condition 1 value")).toHaveAccessibleDescription("must be a list");
    expect(within(form).getByLabelText("Rule name")).not.toHaveAttribute("aria-invalid");
    const sent = calls.find((c) => c.method === "POST" && c.url === "/api/v1/automation/rules");
    expect(sent?.body).toMatchObject({
      name: "Nightly",
      site_id: "s1",
      sector_id: "c1",
      trigger: "schedule",
      schedule: { cron: "30 2 * * 0", timezone: "Mars/Base" },
      conditions: [{ field: "keyword.status", operator: "in", value: ["new"] }],
      actions: [{ type: "auto_cluster", params: { batch_size: 500 } }],
    });
  });

  it("runs a dry run and shows what the rule would do", async () => {
    signInAs("editor");
    const { calls } = backend((c) =>
      c.method === "POST" && c.url === "/api/v1/automation/rules/r1/dry-run"
        ? envelope({ id: "x1", account_id: "a1", rule_id: "r1", rule_name: "Weekday clustering", outcome: "dry_run", matched: 42, estimated_credits: 8.5, created_at: "" })
        : null,
    );
    renderAt("/automation");
    fireEvent.click(await screen.findByRole("button", { name: "Dry run Weekday clustering" }));
    expect(await screen.findByRole("status", { name: "Last run" })).toHaveTextContent("dry run — matched 42, estimated 8.50 credits");
    expect(calls.filter((c) => c.url.includes("/execute"))).toHaveLength(0);
  });

  it("gives a viewer the rules and executions but no write buttons", async () => {
    signInAs("viewer");
    backend((c) => (c.url.startsWith("/api/v1/automation/rules/r1/executions") ? envelope({ results: [], next_cursor: null }) : null));
    renderAt("/automation");
    fireEvent.click(await screen.findByRole("button", { name: "Executions of Weekday clustering" }));
    expect(await screen.findByText("This rule has not run yet.")).toBeInTheDocument();
    const names = screen.getAllByRole("button").map((b) => b.textContent);
    for (const write of [/New rule/, /Dry run/, /Run .* now/, /^Edit/, /Delete/, /Run pipeline/, /Pause|Resume|Cancel|Configure/]) expect(names.filter((n) => write.test(n ?? ""))).toEqual([]);
    expect(screen.queryByRole("form")).toBeNull();
  });
});

const PIPELINE = {
  account_id: "a1",
  site_id: "s1",
  state: "active",
  enabled: true,
  schedule: null,
  stages: {},
  created_at: "",
  created_by: "u1",
  updated_at: "",
  version: 1,
};
const viewOf = (pipeline: Record<string, unknown>) => ({
  pipeline,
  stages: ["cluster", "ideas", "tasks", "content", "image_prompts", "images", "review", "publish"].map((stage) => ({ stage, waiting: 0, history: [] })),
});

/** A site in Berlin time whose pipeline is `current()` (null: none, 404). */
function pipelineBackend(current: () => Record<string, unknown> | null, extra: (c: Call) => Response | null = () => null) {
  return backend((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites?")) return envelope({ results: [{ ...SITE, timezone: "Europe/Berlin" }], next_cursor: null });
    if (c.method === "GET" && c.url.startsWith("/api/v1/automation/pipelines?")) {
      const p = current();
      return p ? envelope(viewOf(p)) : failure(404, "pipeline not found", "NOT_FOUND");
    }
    return null;
  });
}

describe("pipeline configuration", () => {
  it("configures the site's pipeline: the body sent, the cron in words, the API's errors beside the stage fields, then the stages", async () => {
    signInAs("editor");
    let saved: Record<string, unknown> | null = null;
    let posts = 0;
    const { calls } = pipelineBackend(
      () => saved,
      (c) => {
        if (c.method !== "POST" || c.url !== "/api/v1/automation/pipelines") return null;
        posts += 1;
        const body = c.body as { stages: Record<string, Record<string, unknown>>; schedule?: string };
        if (posts === 1)
          return failure(400, "The pipeline is not valid", "VALIDATION_ERROR", [
            { field: "stages.cluster.min_keywords", message: "must be from 5 to 1000" },
            { field: "stages.ideas.per_cluster", message: "must be from 3 to 7" },
            { field: "stages.extra", message: "unknown" },
          ]);
        saved = { ...PIPELINE, stages: body.stages, schedule: { cron: body.schedule, timezone: "Europe/Berlin", expression: "cron(0 6 ? * 2 *)" } };
        return envelope(saved);
      },
    );
    renderAt("/automation");
    const panel = await screen.findByRole("region", { name: "Pipeline" });
    expect(await within(panel).findByText("No pipeline is configured for this site.")).toBeInTheDocument();
    expect(panel).not.toHaveTextContent("through the API");
    fireEvent.click(within(panel).getByRole("button", { name: "Configure pipeline…" }));
    const form = within(panel).getByRole("form", { name: "Configure the pipeline" });
    // The API's defaults.
    expect(within(form).getByLabelText("Cluster from (new keywords)")).toHaveValue("5");
    expect(within(form).getByLabelText("Words per article")).toHaveValue("1500");
    expect(within(form).getByLabelText("Run “Publish”")).not.toBeChecked();
    fireEvent.click(within(form).getByLabelText("Run on a schedule"));
    fireEvent.change(within(form).getByLabelText(/^Pipeline cron/), { target: { value: "0 6 * * 1" } });
    expect(within(form).getByTestId("cron-preview")).toHaveTextContent("At 06:00, on Monday (Europe/Berlin)");
    expect(within(form).getByLabelText("Pipeline time zone")).toHaveAccessibleDescription("Empty: the site's time zone (Europe/Berlin).");
    fireEvent.change(within(form).getByLabelText("Cluster from (new keywords)"), { target: { value: "2" } });
    fireEvent.change(within(form).getByLabelText("Ideas per cluster"), { target: { value: "9" } });
    fireEvent.click(within(form).getByLabelText("Run “Images”"));
    fireEvent.change(within(form).getByLabelText("Review mode"), { target: { value: "auto_approve" } });

    // Not a number: named beside its field, nothing sent.
    fireEvent.change(within(form).getByLabelText("Words per article"), { target: { value: "lots" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save pipeline" }));
    expect(within(form).getByLabelText("Words per article")).toHaveAccessibleDescription("must be a whole number");
    expect(posts).toBe(0);
    fireEvent.change(within(form).getByLabelText("Words per article"), { target: { value: "1200" } });

    fireEvent.click(within(form).getByRole("button", { name: "Save pipeline" }));
    expect(await within(form).findByText("The pipeline is not valid")).toBeInTheDocument();
    expect(within(form).getByLabelText("Cluster from (new keywords)")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByLabelText("Cluster from (new keywords)")).toHaveAccessibleDescription("must be from 5 to 1000");
    expect(within(form).getByLabelText("Ideas per cluster")).toHaveAccessibleDescription("must be from 3 to 7");
    expect(within(form).getByLabelText("Words per article")).not.toHaveAttribute("aria-invalid");
    expect(within(form).getByRole("list", { name: "Other problems" })).toHaveTextContent("stages.extra: unknown");

    fireEvent.change(within(form).getByLabelText("Cluster from (new keywords)"), { target: { value: "10" } });
    fireEvent.change(within(form).getByLabelText("Ideas per cluster"), { target: { value: "4" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save pipeline" }));
    // The form closes once the save has answered (under load that may come
    // after the stages list is already on screen).
    await waitFor(() => expect(within(panel).queryByRole("form")).toBeNull());
    const stages = within(panel).getByRole("list", { name: "Pipeline stages" });
    expect(within(stages).getAllByTestId("stage-settings").map((e) => e.textContent)).toEqual([
      "from 10 new keywords",
      "4 per cluster",
      "on",
      "5 at a time, 1200 words",
      "on",
      "off",
      "approved automatically",
      "off",
    ]);
    expect(within(panel).getByTestId("pipeline-state")).toHaveTextContent("active · At 06:00, on Monday (Europe/Berlin)");
    const bodies = calls.filter((c) => c.method === "POST" && c.url === "/api/v1/automation/pipelines").map((c) => c.body);
    expect(bodies[1]).toEqual({
      site_id: "s1",
      enabled: true,
      schedule: "0 6 * * 1",
      stages: {
        cluster: { enabled: true, min_keywords: 10 },
        ideas: { enabled: true, per_cluster: 4 },
        tasks: { enabled: true },
        content: { enabled: true, batch_size: 5, word_count: 1200 },
        image_prompts: { enabled: true },
        images: { enabled: false },
        review: { mode: "auto_approve" },
        publish: { enabled: false, spread_minutes: 0 },
      },
    });
    expect("timezone" in (bodies[1] as object)).toBe(false);

    // Editing starts from what is saved.
    fireEvent.click(within(panel).getByRole("button", { name: "Edit pipeline…" }));
    const edit = within(panel).getByRole("form", { name: "Edit the pipeline" });
    expect(within(edit).getByLabelText("Ideas per cluster")).toHaveValue("4");
    expect(within(edit).getByLabelText(/^Pipeline cron/)).toHaveValue("0 6 * * 1");
    expect(within(edit).getByLabelText("Run “Images”")).not.toBeChecked();
  });

  it("pauses, resumes and, once confirmed, cancels the pipeline through the API's routes", async () => {
    signInAs("editor");
    let state = "active";
    const { calls } = pipelineBackend(
      () => ({ ...PIPELINE, state, paused_reason: state === "paused" ? "paused by a user" : null }),
      (c) => {
        const m = /^\/api\/v1\/automation\/pipelines\/(pause|resume|cancel)$/.exec(c.url);
        if (c.method !== "POST" || !m) return null;
        state = { pause: "paused", resume: "active", cancel: "cancelled" }[m[1]]!;
        return envelope({ ...PIPELINE, state });
      },
    );
    renderAt("/automation");
    const panel = await screen.findByRole("region", { name: "Pipeline" });
    fireEvent.click(await within(panel).findByRole("button", { name: "Pause pipeline" }));
    expect(await within(panel).findByRole("button", { name: "Resume pipeline" })).toBeInTheDocument();
    expect(within(panel).getByTestId("pipeline-state")).toHaveTextContent("paused · paused: paused by a user");
    expect(within(panel).queryByRole("button", { name: /Pause pipeline|Run pipeline now/ })).toBeNull();
    fireEvent.click(within(panel).getByRole("button", { name: "Resume pipeline" }));
    expect(await within(panel).findByRole("button", { name: "Pause pipeline" })).toBeInTheDocument();
    fireEvent.click(within(panel).getByRole("button", { name: "Cancel pipeline…" }));
    expect(calls.some((c) => c.url.endsWith("/cancel"))).toBe(false);
    fireEvent.click(within(panel).getByRole("button", { name: "Cancel the pipeline" }));
    expect(await within(panel).findByText("Cancelled: saving its configuration starts it again.")).toBeInTheDocument();
    expect(within(panel).queryByRole("button", { name: /Pause|Resume|Run pipeline|Cancel/ })).toBeNull();
    expect(within(panel).getByRole("button", { name: "Edit pipeline…" })).toBeInTheDocument();
    const posted = calls.filter((c) => c.method === "POST" && c.url.startsWith("/api/v1/automation/pipelines/"));
    expect(posted.map((c) => [c.url.split("/").pop(), c.body])).toEqual([
      ["pause", { site_id: "s1" }],
      ["resume", { site_id: "s1" }],
      ["cancel", { site_id: "s1" }],
    ]);
  });
});
