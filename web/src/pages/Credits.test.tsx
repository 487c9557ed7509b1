import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../test/app";
import { envelope, stubFetch } from "../test/http";

const PLAN = { id: "starter", name: "Starter", monthly_credits: 1000, max_keywords: 5000, max_sites: 3, max_users: 5 };
const GROWTH = { id: "growth", name: "Growth", monthly_credits: 5000, max_keywords: 50000, max_sites: 10, max_users: 20 };
const FREE = { id: "free", name: "Free", monthly_credits: 100, max_keywords: 500, max_sites: 1, max_users: 1 };
const TXN = { id: "t1", account_id: "a1", type: "settle", function: "auto_cluster", amount: -10, plan_delta: -10, bonus_delta: 0, balance_after: 90, plan_after: 90, bonus_after: 0, idempotency_key: "j1", created_at: "2026-12-01T10:00:00Z" };

beforeEach(() => {
  resetStores();
  signInAs("viewer");
});

describe("credits and plan", () => {
  it("shows both pools, the subscription, usage, the ledger (filtered by the server) and the plans", async () => {
    const { calls } = stubFetch((c) => {
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
      if (c.url === "/api/v1/credits/balance") return envelope({ total: 120, plan_credits: 90, bonus_credits: 30, plan: "starter" });
      if (c.url === "/api/v1/subscription")
        return envelope({ plan: PLAN, period: "2026-12", keywords_used: 20, sites_used: 1, users_used: 1, balance: {}, pending_plan: null });
      if (c.url === "/api/v1/credits/usage") return envelope({ results: [{ month: "2026-12", function: "auto_cluster", credits: 10, jobs: 1 }] });
      if (c.url === "/api/v1/plans") return envelope({ results: [PLAN] });
      if (c.url.startsWith("/api/v1/credits/transactions")) return envelope({ results: [TXN], next_cursor: null });
      return envelope({});
    });
    renderAt("/credits");
    const balance = await screen.findByLabelText("Balance");
    expect(balance).toHaveTextContent("Plan credits90");
    expect(balance).toHaveTextContent("Bonus credits30");
    expect(await screen.findByLabelText("Subscription")).toHaveTextContent("Keywords 20 / 5000");
    expect(screen.getByLabelText("2026-12: 10 credits")).toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Ledger lines" })).getByText("auto_cluster")).toBeInTheDocument();
    expect(screen.getByText("Starter (current)")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Type"), { target: { value: "grant" } });
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-12-01" } });
    fireEvent.click(screen.getByRole("button", { name: "Filter" }));
    await waitFor(() =>
      expect(calls.some((c) => c.url === "/api/v1/credits/transactions?type=grant&from=2026-12-01&limit=25")).toBe(true),
    );
  });

  it("draws usage as an SVG bar per month, stacked by function", async () => {
    stubFetch((c) => {
      if (c.url === "/api/v1/credits/usage")
        return envelope({
          results: [
            { month: "2026-11", function: "auto_cluster", credits: 10 },
            { month: "2026-12", function: "auto_cluster", credits: 20 },
            { month: "2026-12", function: "generate_content", credits: 4 },
          ],
        });
      if (c.url.startsWith("/api/v1/credits/transactions") || c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
      if (c.url === "/api/v1/plans") return envelope({ results: [PLAN] });
      if (c.url === "/api/v1/subscription") return envelope({ plan: PLAN, period: "2026-12", keywords_used: 0, sites_used: 1, users_used: 1, balance: {}, pending_plan: null });
      return envelope({ total: 1, plan_credits: 1, bonus_credits: 0, plan: "starter" });
    });
    renderAt("/credits");
    const chart = await screen.findByRole("list", { name: "Credits charged by month" });
    expect(chart.tagName.toLowerCase()).toBe("svg");
    const bars = within(chart).getAllByRole("listitem");
    expect(bars.map((b) => b.getAttribute("aria-label"))).toEqual(["2026-11: 10 credits", "2026-12: 24 credits"]);
    // The December bar has two segments; its height is to November's as 24 to 10.
    const height = (b: Element) => [...b.querySelectorAll("rect")].reduce((n, r) => n + Number(r.getAttribute("height")), 0);
    expect(bars[1]!.querySelectorAll("rect")).toHaveLength(2);
    expect(height(bars[1]!) / height(bars[0]!)).toBeCloseTo(2.4);
  });

  it("lets only the owner switch plans; an upgrade says it waits for approval", async () => {
    const route = (c: { url: string; method: string }) => {
      if (c.method === "PATCH" && c.url === "/api/v1/subscription")
        return envelope({ plan: PLAN, period: "2026-12", keywords_used: 0, sites_used: 1, users_used: 1, balance: {}, pending_plan: GROWTH }, 202);
      if (c.url.startsWith("/api/v1/sites") || c.url.startsWith("/api/v1/credits/transactions")) return envelope({ results: [], next_cursor: null });
      if (c.url === "/api/v1/subscription") return envelope({ plan: PLAN, period: "2026-12", keywords_used: 0, sites_used: 1, users_used: 1, balance: {}, pending_plan: null });
      if (c.url === "/api/v1/credits/usage") return envelope({ results: [] });
      if (c.url === "/api/v1/plans") return envelope({ results: [FREE, PLAN, GROWTH] });
      return envelope({ total: 1, plan_credits: 1, bonus_credits: 0, plan: "starter" });
    };
    stubFetch(route);
    const first = renderAt("/credits");
    await screen.findByText("Starter (current)");
    expect(screen.queryByRole("button", { name: /Switch to/ })).toBeNull();
    first.unmount();

    resetStores();
    signInAs("owner");
    const { calls } = stubFetch(route);
    renderAt("/credits");
    await screen.findByText("Starter (current)");
    expect(screen.getAllByRole("button", { name: /Switch to/ }).map((b) => b.textContent)).toEqual(["Switch to Free", "Switch to Growth"]);
    fireEvent.click(screen.getByRole("button", { name: "Switch to Growth" }));
    expect(await screen.findByText("Upgrade to Growth requested: it applies once IGNY8 staff approve it.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ plan: "growth" });
  });
});
