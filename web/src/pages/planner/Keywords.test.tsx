import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, stubFetch, type Call } from "../../test/http";

const KW = { id: "k1", keyword: "paris city break", status: "new", volume: 1900, difficulty: 41, cpc: 1.2, intent: "commercial", created_at: "2026-12-01T00:00:00Z" };

function backend(extra?: (c: Call) => Response | null) {
  return stubFetch((c) => {
    const r = extra?.(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/planner/keywords")) return envelope({ results: [KW], next_cursor: null });
    return envelope({ total: 100, plan_credits: 100, bonus_credits: 0, plan: "free" });
  });
}

beforeEach(resetStores);

describe("the keywords page", () => {
  it("a viewer sees the keywords but no write actions", async () => {
    signInAs("viewer");
    backend();
    renderAt("/planner/keywords");
    expect(await screen.findByText("paris city break")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Auto-cluster/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Import/ })).not.toBeInTheDocument(); // neither on the page nor in the sidebar
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
  });

  it("auto-cluster shows the dry run's cost first, then follows the job in the progress modal", async () => {
    signInAs("editor");
    let polls = 0;
    const { calls } = backend((c) => {
      if (c.url === "/api/v1/planner/clusters/auto-cluster") {
        const body = c.body as { dry_run?: boolean };
        return body.dry_run
          ? envelope({ dry_run: true, estimated_credits: 10, function: "auto_cluster", would_run: {} })
          : envelope({ id: "j9", kind: "auto_cluster", status: "queued", phase: "Initializing", progress: 0 }, 202);
      }
      if (c.url === "/api/v1/jobs/j9") {
        polls++;
        return envelope({ id: "j9", kind: "auto_cluster", status: "completed", phase: "Completed", progress: 100, credits_charged: 10 });
      }
      return null;
    });
    renderAt("/planner/keywords");
    fireEvent.click(await screen.findByRole("button", { name: "Auto-cluster…" }));
    expect(await screen.findByRole("group", { name: "Confirm auto-cluster" })).toHaveTextContent("for 10 credits");
    expect(calls.filter((c) => c.url === "/api/v1/planner/clusters/auto-cluster")).toHaveLength(1);
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    expect(await screen.findByRole("dialog", { name: "Auto-cluster" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("job-message")).toHaveTextContent("100% · Completed"));
    expect(polls).toBeGreaterThan(0);
    const submits = calls.filter((c) => c.url === "/api/v1/planner/clusters/auto-cluster").map((c) => c.body);
    expect(submits).toEqual([
      { site_id: "s1", sector_id: "c1", dry_run: true },
      { site_id: "s1", sector_id: "c1", dry_run: false },
    ]);
  });
});
