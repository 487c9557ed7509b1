import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const idea = (id: string, title: string, extra: Record<string, unknown> = {}) => ({
  id,
  title,
  account_id: "a1",
  site_id: "s1",
  sector_id: "c1",
  cluster_id: "k1",
  primary_keyword: title.toLowerCase(),
  secondary_keywords: ["trail shoes"],
  structure: "guide",
  intent: "commercial",
  content_type: "post",
  status: "new",
  source: "generate_ideas",
  target_word_count: 1500,
  outline: [
    { heading: "Why grip matters", covers: "lugs and rubber" },
    { heading: "How to choose", covers: "" },
  ],
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
  version: 1,
  ...extra,
});

const IDEAS = [
  idea("i1", "Trail running shoes guide", {
    cannibalization: { reason: "similar_title", similarity: 0.8, message: "An existing task has a close title.", conflicts_with: { id: "t9", kind: "task", title: "Trail shoes guide" } },
  }),
  idea("i2", "Road to trail: a how-to"),
  idea("i3", "Already a task", { status: "queued", task_id: "t1" }),
];

function backend(extra: (c: Call) => Response | null = () => null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "Trail" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Run Blog" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/planner/clusters?"))
      return envelope({ results: [{ id: "k1", name: "Trail running", keyword_count: 12, total_volume: 900, status: "active" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/planner/ideas?")) return envelope({ results: IDEAS, next_cursor: null });
    return envelope({ total: 50, plan_credits: 50, bonus_credits: 0, plan: "free" });
  });
}

beforeEach(resetStores);

describe("the ideas page", () => {
  it("shows each idea's structure, outline and cannibalization flag", async () => {
    signInAs("editor");
    backend();
    renderAt("/planner/ideas");
    const card = await screen.findByRole("listitem", { name: "Trail running shoes guide" });
    expect(card).toHaveTextContent("Structure: guide");
    expect(within(card).getByRole("note", { name: "Cannibalization" })).toHaveTextContent("80% similar) with the task “Trail shoes guide”");
    expect(within(screen.getByRole("listitem", { name: "Road to trail: a how-to" })).queryByRole("note")).not.toBeInTheDocument();
    fireEvent.click(within(card).getByRole("button", { name: "Outline (2)" }));
    const outline = within(card).getByRole("list", { name: "Outline of Trail running shoes guide" });
    expect(within(outline).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Why grip matters — lugs and rubber", "How to choose"]);
  });

  it("filters on the server", async () => {
    signInAs("editor");
    const { calls } = backend();
    renderAt("/planner/ideas");
    await screen.findByText("Road to trail: a how-to");
    fireEvent.change(screen.getByLabelText("Structure"), { target: { value: "how_to" } });
    await waitFor(() => expect(calls.some((c) => c.url.includes("/planner/ideas?") && c.url.includes("structure=how_to"))).toBe(true));
  });

  it("creates one task, then tasks in bulk from the open ideas only, and says what was skipped", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.url.endsWith("/create-task")) return envelope({ id: "t2", title: "Road to trail: a how-to", status: "queued" }, 201);
      if (c.url.endsWith("/bulk-create-tasks"))
        return envelope({ created: [{ id: "t3", title: "x" }], conflicts: [{ id: "i2", error: "the idea already has a task" }], not_found: [] });
      return null;
    });
    renderAt("/planner/ideas");
    const road = await screen.findByRole("listitem", { name: "Road to trail: a how-to" });
    // The idea that is already a task offers no second one.
    const done = screen.getByRole("listitem", { name: "Already a task" });
    expect(within(done).queryByRole("button", { name: "Create task" })).not.toBeInTheDocument();
    expect(within(done).queryByRole("checkbox")).not.toBeInTheDocument();
    fireEvent.click(within(road).getByRole("button", { name: "Create task" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Task “Road to trail: a how-to” created.");
    expect(calls.find((c) => c.url.endsWith("/create-task"))).toMatchObject({ method: "POST", url: "/api/v1/planner/ideas/i2/create-task", body: { site_id: "s1" } });

    fireEvent.click(screen.getByLabelText("Select all open ideas"));
    fireEvent.click(screen.getByRole("button", { name: "Create tasks for 2 selected" }));
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("1 task created, 1 skipped (the idea already has a task)."));
    expect(calls.find((c) => c.url.endsWith("/bulk-create-tasks"))?.body).toEqual({ site_id: "s1", ids: ["i1", "i2"] });
  });

  it("generates ideas from a cluster: the cost first, then the job in the progress modal", async () => {
    signInAs("editor");
    let polls = 0;
    const { calls } = backend((c) => {
      if (c.url.includes("/generate-ideas")) {
        const dry = (c.body as { dry_run: boolean }).dry_run;
        return dry
          ? envelope({ dry_run: true, estimated_credits: 1, function: "generate_ideas", would_run: {} })
          : envelope({ id: "j1", kind: "generate_ideas", status: "queued", phase: "Initializing", progress: 0 }, 202);
      }
      if (c.url === "/api/v1/jobs/j1") {
        polls++;
        return envelope({ id: "j1", kind: "generate_ideas", status: "completed", phase: "Completed", progress: 100, credits_charged: 1 });
      }
      return null;
    });
    renderAt("/planner/ideas");
    fireEvent.click(await screen.findByRole("button", { name: "Generate ideas…" }));
    const confirm = await screen.findByRole("group", { name: "Confirm Generate ideas" });
    expect(confirm).toHaveTextContent("Generate ideas for “Trail running” for 1 credits?");
    const before = calls.filter((c) => c.url.startsWith("/api/v1/planner/ideas?")).length;
    fireEvent.click(within(confirm).getByRole("button", { name: "Run" }));
    const modal = await screen.findByRole("dialog", { name: "Generate ideas" });
    await waitFor(() => expect(within(modal).getByTestId("job-message")).toHaveTextContent("100% · Completed"));
    expect(polls).toBeGreaterThan(0);
    expect(calls.filter((c) => c.url.includes("/generate-ideas")).map((c) => [c.url, c.body])).toEqual([
      ["/api/v1/planner/clusters/k1/generate-ideas", { site_id: "s1", cluster_id: "k1", dry_run: true }],
      ["/api/v1/planner/clusters/k1/generate-ideas", { site_id: "s1", cluster_id: "k1", dry_run: false }],
    ]);
    // The list is read again once the job is over.
    await waitFor(() => expect(calls.filter((c) => c.url.startsWith("/api/v1/planner/ideas?")).length).toBeGreaterThan(before));
  });

  it("shows the API's refusal", async () => {
    signInAs("editor");
    backend((c) => (c.url.includes("/generate-ideas") ? failure(402, "Not enough credits: 1 needed, 0 available", "INSUFFICIENT_CREDITS") : null));
    renderAt("/planner/ideas");
    fireEvent.click(await screen.findByRole("button", { name: "Generate ideas…" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not enough credits");
  });

  it("a viewer reads ideas and outlines but gets no write action", async () => {
    signInAs("viewer");
    backend();
    renderAt("/planner/ideas");
    await screen.findByText("Trail running shoes guide");
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Create task|Generate ideas|Create tasks for|Edit|Delete/ })).not.toBeInTheDocument();
    expect(screen.getAllByRole("button", { name: /Outline/ })).toHaveLength(3);
  });
});

describe("editing and deleting ideas", () => {
  it("sends only the changed fields with the version seen, shows the API's field errors beside their fields, then the saved idea", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.method !== "PATCH") return null;
      const b = c.body as Record<string, unknown>;
      if (b.target_word_count === 0)
        return failure(400, "target_word_count: must be from 300 to 10000; outline[0].heading: must not be empty", "VALIDATION_ERROR", [
          { field: "target_word_count", message: "must be from 300 to 10000" },
          { field: "outline[0].heading", message: "must not be empty" },
        ]);
      return envelope(idea("i2", b.title as string, { ...b, version: 2 }));
    });
    renderAt("/planner/ideas");
    const card = await screen.findByRole("listitem", { name: "Road to trail: a how-to" });
    fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const form = within(card).getByRole("form", { name: "Edit Road to trail: a how-to" });
    expect(within(form).getByLabelText("Title")).toHaveValue("Road to trail: a how-to");
    expect(within(form).getByLabelText("Secondary keywords")).toHaveValue("trail shoes");
    expect(within(form).getByLabelText("Section 1 heading")).toHaveValue("Why grip matters");
    fireEvent.change(within(form).getByLabelText("Target words"), { target: { value: "" } });
    fireEvent.change(within(form).getByLabelText("Section 1 heading"), { target: { value: "" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save idea" }));
    expect(await within(form).findByText("must be from 300 to 10000")).toBeInTheDocument();
    expect(within(form).getByLabelText("Section 1 heading")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByText("must not be empty")).toBeInTheDocument();

    fireEvent.change(within(form).getByLabelText("Title"), { target: { value: "From road to trail" } });
    fireEvent.change(within(form).getByLabelText("Target words"), { target: { value: "2000" } });
    fireEvent.change(within(form).getByLabelText("Section 1 heading"), { target: { value: "Grip" } });
    fireEvent.click(within(form).getByRole("button", { name: "Remove section 2" }));
    fireEvent.change(within(form).getByLabelText("Secondary keywords"), { target: { value: "trail shoes, road shoes" } });
    fireEvent.change(within(form).getByLabelText("Status"), { target: { value: "archived" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save idea" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Idea “From road to trail” saved.");
    expect(screen.getByRole("listitem", { name: "From road to trail" })).toHaveTextContent("Status: archived");
    await waitFor(() => expect(screen.queryByRole("form", { name: /Edit/ })).not.toBeInTheDocument());
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => [c.url, c.body])).toEqual([
      [
        "/api/v1/planner/ideas/i2?site_id=s1",
        { version: 1, target_word_count: 0, outline: [{ heading: "", covers: "lugs and rubber" }, { heading: "How to choose", covers: "" }] },
      ],
      [
        "/api/v1/planner/ideas/i2?site_id=s1",
        {
          version: 1,
          title: "From road to trail",
          secondary_keywords: ["trail shoes", "road shoes"],
          target_word_count: 2000,
          status: "archived",
          outline: [{ heading: "Grip", covers: "lugs and rubber" }],
        },
      ],
    ]);
  });

  it("an idea with a task keeps its status (it follows the task) and offers no delete", async () => {
    signInAs("editor");
    backend();
    renderAt("/planner/ideas");
    const card = await screen.findByRole("listitem", { name: "Already a task" });
    expect(within(card).queryByRole("button", { name: "Delete…" })).not.toBeInTheDocument();
    fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    expect(within(card).getByLabelText("Status")).toBeDisabled();
    expect(within(card).getByLabelText("Status")).toHaveValue("queued");
  });

  it("deletes an idea only after a confirm, and a refusal shows the API's reason", async () => {
    signInAs("editor");
    let refuse = true;
    const { calls } = backend((c) => {
      if (c.method !== "DELETE") return null;
      if (refuse) return failure(409, "the idea has task t7; delete the task first", "CONFLICT");
      return envelope({ id: "i2" });
    });
    renderAt("/planner/ideas");
    const card = await screen.findByRole("listitem", { name: "Road to trail: a how-to" });
    fireEvent.click(within(card).getByRole("button", { name: "Delete…" }));
    const confirm = within(card).getByRole("group", { name: "Confirm deleting Road to trail: a how-to" });
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete idea" }));
    expect(await within(confirm).findByRole("alert")).toHaveTextContent("delete the task first");
    expect(screen.getByRole("listitem", { name: "Road to trail: a how-to" })).toBeInTheDocument();

    refuse = false;
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete idea" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Idea “Road to trail: a how-to” deleted.");
    expect(screen.queryByRole("listitem", { name: "Road to trail: a how-to" })).not.toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/planner/ideas/i2?site_id=s1", "/api/v1/planner/ideas/i2?site_id=s1"]);
  });
});
