import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, within } from "@testing-library/react";
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
      expect.stringMatching(/^cluster12 waitinglast: enqueued/),
      "ideas3 waitingnot run yet",
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
    for (const write of [/New rule/, /Dry run/, /Run .* now/, /^Edit/, /Delete/, /Run pipeline/]) expect(names.filter((n) => write.test(n ?? ""))).toEqual([]);
  });
});
