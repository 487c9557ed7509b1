import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ROW_HEIGHT } from "./Keywords";

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

describe("the keywords table at 10,000 rows", () => {
  // The scroll box is 600 px high in jsdom (test/setup.ts), as in a browser.
  const VIEW = 600;

  const many = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ ...KW, id: `k${from + i}`, keyword: `keyword ${from + i}` }));
  const scrollTo = (box: HTMLElement, top: number) => {
    box.scrollTop = top;
    fireEvent.scroll(box);
  };
  const bodyRows = (box: HTMLElement) => within(box).getAllByRole("row").filter((r) => r.getAttribute("aria-rowindex") !== "1");

  it("renders only a window of the rows, follows the scroll, and bulk-selects every loaded row", async () => {
    signInAs("editor");
    const rows = many(10_000);
    const { calls } = backend((c) => {
      if (c.url.startsWith("/api/v1/planner/keywords?")) return envelope({ results: rows, next_cursor: null });
      if (c.url === "/api/v1/planner/keywords/bulk-update-status") {
        const ids = (c.body as { ids: string[] }).ids;
        return envelope({ updated: ids.length, not_found: [] });
      }
      return null;
    });
    renderAt("/planner/keywords");
    expect(await screen.findByText("keyword 0")).toBeInTheDocument();
    const box = screen.getByTestId("keywords-scroll");
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", "10001");
    // 600 px of 36 px rows plus overscan: a few dozen rows, not 10,000.
    const rendered = bodyRows(box).length;
    expect(rendered).toBeGreaterThanOrEqual(Math.ceil(VIEW / ROW_HEIGHT));
    expect(rendered).toBeLessThan(60);
    expect(screen.queryByText("keyword 5000")).not.toBeInTheDocument();
    expect(screen.getByText("10000 keywords loaded")).toBeInTheDocument();

    scrollTo(box, 5000 * ROW_HEIGHT);
    expect(await screen.findByText("keyword 5000")).toBeInTheDocument();
    expect(screen.queryByText("keyword 0")).not.toBeInTheDocument();
    expect(bodyRows(box).length).toBeLessThan(60);

    // Select all takes every loaded row (not just the rendered ones); the
    // bulk change goes in chunks of 500 and updates the rows in place.
    fireEvent.click(screen.getByRole("checkbox", { name: "Select all" }));
    expect(screen.getByRole("group", { name: "Bulk actions" })).toHaveTextContent("10000 selected");
    fireEvent.change(screen.getByLabelText("Set status"), { target: { value: "archived" } });
    expect(await screen.findByText("10000 updated.")).toBeInTheDocument();
    const posts = calls.filter((c) => c.url === "/api/v1/planner/keywords/bulk-update-status");
    expect(posts).toHaveLength(20);
    expect(new Set(posts.flatMap((c) => (c.body as { ids: string[] }).ids)).size).toBe(10_000);
    const row5000 = screen.getByText("keyword 5000").closest("tr")!;
    expect(within(row5000).getByText("archived")).toBeInTheDocument();
  }, 30_000); // 10,000 rows built and bulk-changed: seconds on a loaded 2-core machine

  it("scrolling near the end loads the next cursor page and appends it", async () => {
    signInAs("viewer");
    const { calls } = backend((c) => {
      if (!c.url.startsWith("/api/v1/planner/keywords?")) return null;
      const cursor = new URL(c.url, "http://x").searchParams.get("cursor");
      return cursor === "c2" ? envelope({ results: many(100, 100), next_cursor: null }) : envelope({ results: many(100), next_cursor: "c2" });
    });
    renderAt("/planner/keywords");
    const box = await screen.findByTestId("keywords-scroll");
    expect(await screen.findByText("keyword 0")).toBeInTheDocument();
    const pages = () => calls.filter((c) => c.url.startsWith("/api/v1/planner/keywords?"));
    expect(pages()).toHaveLength(1); // the first window is far from the end
    scrollTo(box, 90 * ROW_HEIGHT);
    await waitFor(() => expect(pages()).toHaveLength(2));
    expect(new URL(pages()[1].url, "http://x").searchParams.get("cursor")).toBe("c2");
    expect(await screen.findByText("200 keywords loaded")).toBeInTheDocument();
    scrollTo(box, 190 * ROW_HEIGHT);
    expect(await screen.findByText("keyword 199")).toBeInTheDocument();
    expect(pages()).toHaveLength(2); // no next cursor: no more requests
  });
});
