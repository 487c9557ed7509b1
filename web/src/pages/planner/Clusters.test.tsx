import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const cluster = (id: string, name: string, n: number, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  keyword_count: n,
  total_volume: 1000 * n,
  avg_difficulty: 40.4,
  dominant_intent: "commercial",
  status: "active",
  description: `About ${name}`,
  version: 3,
  ...extra,
});

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

/** A backend holding the clusters in memory, so a reload shows what a write did. */
function liveBackend(extra: (c: Call) => Response | null = () => null) {
  let list = [cluster("cl1", "Trail shoes", 2), cluster("cl2", "Road shoes", 3)];
  const s = stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
    if (c.method === "POST" && c.url === "/api/v1/planner/clusters") {
      const b = c.body as { name: string; description?: string };
      if (!b.name.trim()) return failure(400, "name: must not be empty", "VALIDATION_ERROR", [{ field: "name", message: "must not be empty" }]);
      const made = cluster("cl9", b.name.trim(), 0, { description: b.description ?? "", version: 1 });
      list = [...list, made];
      return envelope(made, 201);
    }
    if (c.method === "PATCH" && c.url.startsWith("/api/v1/planner/clusters/cl1?")) {
      const b = c.body as { name?: string };
      if (b.name !== undefined && !b.name.trim()) return failure(400, "name: must not be empty", "VALIDATION_ERROR", [{ field: "name", message: "must not be empty" }]);
      list = list.map((x) => (x.id === "cl1" ? { ...x, ...b, version: 4 } : x));
      return envelope(list[0]);
    }
    if (c.method === "DELETE" && c.url.startsWith("/api/v1/planner/clusters/cl1?")) {
      list = list.filter((x) => x.id !== "cl1");
      return envelope({ id: "cl1", keywords_unclustered: 2 });
    }
    if (c.url.startsWith("/api/v1/planner/clusters?")) return envelope({ results: list, next_cursor: null });
    if (c.url.includes("cluster_id=cl1"))
      return envelope({ results: [{ id: "k1", keyword: "trail running shoes", volume: 33100 }, { id: "k2", keyword: "waterproof trail shoes", volume: 1000 }], next_cursor: null });
    if (c.url.includes("cluster_id=")) return envelope({ results: [], next_cursor: null });
    return envelope({ total: 50, plan_credits: 50, bonus_credits: 0, plan: "free" });
  });
  return s;
}

describe("editing clusters", () => {
  it("adds a cluster: an empty name shows the API's error beside the field, a named one is sent with the sector and listed", async () => {
    signInAs("editor");
    const { calls } = liveBackend();
    renderAt("/planner/clusters");
    const form = await screen.findByRole("form", { name: "Add a cluster" });
    fireEvent.click(within(form).getByRole("button", { name: "Add cluster" }));
    const name = within(form).getByLabelText("Cluster name");
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(within(form).getByText("must not be empty")).toBeInTheDocument();
    expect(within(form).getByRole("alert")).toHaveTextContent("name: must not be empty");
    expect(screen.queryByRole("button", { name: "Hiking boots" })).not.toBeInTheDocument();

    fireEvent.change(name, { target: { value: "Hiking boots" } });
    fireEvent.change(within(form).getByLabelText("Description (optional)"), { target: { value: "Boots for long trails" } });
    fireEvent.click(within(form).getByRole("button", { name: "Add cluster" }));
    // The note comes once the list has been read again, with the new cluster in it.
    expect(await screen.findByRole("status")).toHaveTextContent("Cluster “Hiking boots” added.");
    expect(screen.getByRole("button", { name: "Hiking boots" })).toBeInTheDocument();
    const posts = calls.filter((c) => c.method === "POST" && c.url === "/api/v1/planner/clusters");
    expect(posts.map((c) => c.body)).toEqual([
      { site_id: "s1", sector_id: "c1", name: "" },
      { site_id: "s1", sector_id: "c1", name: "Hiking boots", description: "Boots for long trails" },
    ]);
    expect(name).toHaveValue("");
    expect(name).not.toHaveAttribute("aria-invalid");
  });

  it("renames a cluster with the version seen, sending only what changed; a refused name stays in the form with its error", async () => {
    signInAs("editor");
    const { calls } = liveBackend();
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit Trail shoes" });
    const name = within(form).getByLabelText("Cluster name");
    expect(name).toHaveValue("Trail shoes");
    fireEvent.change(name, { target: { value: "  " } });
    fireEvent.click(within(form).getByRole("button", { name: "Save cluster" }));
    expect(await within(form).findByText("must not be empty")).toBeInTheDocument();
    fireEvent.change(name, { target: { value: "Trail running shoes" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save cluster" }));
    expect(await screen.findByRole("button", { name: "Trail running shoes" })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("form", { name: /Edit/ })).not.toBeInTheDocument());
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => [c.url, c.body])).toEqual([
      ["/api/v1/planner/clusters/cl1?site_id=s1", { version: 3, name: "  " }],
      ["/api/v1/planner/clusters/cl1?site_id=s1", { version: 3, name: "Trail running shoes" }],
    ]);
  });

  it("deletes a cluster only after a confirm that says its keywords become unclustered", async () => {
    signInAs("editor");
    const { calls } = liveBackend();
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    fireEvent.click(await screen.findByRole("button", { name: "Delete…" }));
    const confirm = screen.getByRole("group", { name: "Confirm deleting Trail shoes" });
    expect(confirm).toHaveTextContent("Its 2 keywords stay in this sector, unclustered (status new)");
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(within(confirm).getByRole("button", { name: "Keep" }));
    expect(screen.queryByRole("group", { name: "Confirm deleting Trail shoes" })).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Delete…" }));
    fireEvent.click(within(screen.getByRole("group", { name: "Confirm deleting Trail shoes" })).getByRole("button", { name: "Delete cluster" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Cluster “Trail shoes” deleted; 2 keywords are now unclustered.");
    expect(screen.queryByRole("button", { name: "Trail shoes" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Road shoes" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/planner/clusters/cl1?site_id=s1"]);
  });

  it("a refused delete shows the API's reason and keeps the cluster", async () => {
    signInAs("editor");
    liveBackend((c) => (c.method === "DELETE" ? failure(409, "the cluster's ideas are being changed concurrently; retry", "CONFLICT") : null));
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    fireEvent.click(await screen.findByRole("button", { name: "Delete…" }));
    fireEvent.click(within(screen.getByRole("group", { name: "Confirm deleting Trail shoes" })).getByRole("button", { name: "Delete cluster" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("being changed concurrently");
    expect(screen.getByRole("button", { name: "Trail shoes" })).toBeInTheDocument();
  });

  it("re-clusters one cluster: the cost first, then the job in the progress modal, then the list read again", async () => {
    signInAs("editor");
    const { calls } = liveBackend((c) => {
      if (c.url.endsWith("/auto-cluster")) {
        const dry = (c.body as { dry_run: boolean }).dry_run;
        return dry
          ? envelope({ dry_run: true, estimated_credits: 10, function: "auto_cluster", would_run: {} })
          : envelope({ id: "j1", kind: "auto_cluster", status: "queued", phase: "Initializing", progress: 0 }, 202);
      }
      if (c.url === "/api/v1/jobs/j1") return envelope({ id: "j1", kind: "auto_cluster", status: "completed", phase: "Completed", progress: 100, credits_charged: 10 });
      return null;
    });
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    fireEvent.click(await screen.findByRole("button", { name: "Auto-cluster this cluster…" }));
    const confirm = await screen.findByRole("group", { name: "Confirm Auto-cluster this cluster" });
    expect(confirm).toHaveTextContent("Re-cluster the 2 keywords of “Trail shoes” for 10 credits?");
    const lists = () => calls.filter((c) => c.url.startsWith("/api/v1/planner/clusters?")).length;
    const before = lists();
    fireEvent.click(within(confirm).getByRole("button", { name: "Run" }));
    const modal = await screen.findByRole("dialog", { name: "Auto-cluster this cluster" });
    await waitFor(() => expect(within(modal).getByTestId("job-message")).toHaveTextContent("100% · Completed"));
    expect(calls.filter((c) => c.url.endsWith("/auto-cluster")).map((c) => [c.url, c.body])).toEqual([
      ["/api/v1/planner/clusters/cl1/auto-cluster", { site_id: "s1", dry_run: true }],
      ["/api/v1/planner/clusters/cl1/auto-cluster", { site_id: "s1", dry_run: false }],
    ]);
    await waitFor(() => expect(lists()).toBeGreaterThan(before));
  });

  it("a viewer gets no add, edit, delete or auto-cluster", async () => {
    signInAs("viewer");
    liveBackend();
    renderAt("/planner/clusters");
    fireEvent.click(await screen.findByRole("button", { name: "Trail shoes" }));
    await screen.findByText("trail running shoes");
    expect(screen.queryByRole("form", { name: "Add a cluster" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit|Delete|Auto-cluster|Add cluster/ })).not.toBeInTheDocument();
  });
});
