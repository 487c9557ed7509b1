import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, stubFetch } from "../../test/http";

const cluster = (id: string, name: string, n: number) => ({ id, name, keyword_count: n, total_volume: 1000 * n, avg_difficulty: 40.4, dominant_intent: "commercial", status: "active", description: `About ${name}` });

beforeEach(resetStores);

function backend() {
  return stubFetch((c) => {
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/planner/clusters/cl1/move-keywords")) return envelope({ moved: 1, unchanged: 0, not_found: [] });
    if (c.url.startsWith("/api/v1/planner/clusters")) return envelope({ results: [cluster("cl1", "Trail shoes", 2), cluster("cl2", "Road shoes", 3)], next_cursor: null });
    if (c.url.includes("cluster_id=cl1"))
      return envelope({ results: [{ id: "k1", keyword: "trail running shoes", volume: 33100 }, { id: "k2", keyword: "waterproof trail shoes", volume: 1000 }], next_cursor: null });
    return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
  });
}

describe("the clusters page", () => {
  it("shows each cluster's stats and members, and moves a member to another cluster", async () => {
    signInAs("editor");
    const { calls } = backend();
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    const members = await screen.findByRole("list", { name: "Keywords of Trail shoes" });
    expect(within(members).getByText("trail running shoes")).toBeInTheDocument();
    fireEvent.click(screen.getByLabelText("Pick waterproof trail shoes"));
    fireEvent.change(screen.getByLabelText("Move to cluster"), { target: { value: "cl2" } });
    fireEvent.click(screen.getByRole("button", { name: "Move" }));
    expect(await screen.findByRole("status")).toHaveTextContent("1 moved.");
    const move = calls.find((c) => c.url.includes("/move-keywords"))!;
    expect(move.body).toEqual({ site_id: "s1", keyword_ids: ["k2"], target_cluster_id: "cl2" });
    await waitFor(() => expect(calls.filter((c) => c.url.startsWith("/api/v1/planner/clusters?")).length).toBeGreaterThanOrEqual(2));
  });

  it("a viewer sees members but cannot change them", async () => {
    signInAs("viewer");
    backend();
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    await screen.findByText("trail running shoes");
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
  });
});
