import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { usageSeries } from "../stores/creditsStore";
import { renderAt, resetStores, signInAs } from "../test/app";
import { envelope, stubFetch } from "../test/http";

const PLAN = { id: "starter", name: "Starter", monthly_credits: 1000, max_keywords: 5000, max_sites: 3, max_users: 5 };
const TXN = { id: "t1", account_id: "a1", type: "settle", function: "auto_cluster", amount: -10, plan_delta: -10, bonus_delta: 0, balance_after: 90, plan_after: 90, bonus_after: 0, idempotency_key: "j1", created_at: "2026-12-01T10:00:00Z" };

beforeEach(() => {
  resetStores();
  signInAs("viewer");
});

describe("credits and plan", () => {
  it("sums usage per month and function for the chart", () => {
    const s = usageSeries([
      { month: "2026-11", function: "auto_cluster", credits: 10 },
      { month: "2026-12", function: "generate_content", credits: 4 },
      { month: "2026-12", function: "auto_cluster", credits: 20 },
    ]);
    expect(s.months).toEqual(["2026-11", "2026-12"]);
    expect(s.functions).toEqual(["auto_cluster", "generate_content"]);
    expect(s.credits("2026-12", "auto_cluster")).toBe(20);
    expect(s.max).toBe(24);
  });

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
});
