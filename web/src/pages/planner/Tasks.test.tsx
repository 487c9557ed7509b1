import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import rules from "../../../../shared/src/planner/tasks.rs?raw";
import { ALLOWED_NEXT, type TaskStatus } from "../../stores/tasksStore";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const task = (id: string, title: string, status: TaskStatus, version = 1) => ({ id, title, status, version, target_word_count: 1200 });

beforeEach(resetStores);

describe("the task rules", () => {
  it("are the API's own (TaskStatus::allowed_next in shared/src/planner/tasks.rs)", () => {
    const body = rules.slice(rules.indexOf("pub fn allowed_next"));
    const snake = (v: string) => v.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    const parsed: Record<string, string[]> = {};
    for (const m of body.matchAll(/^\s*(\w+) => &\[([^\]]*)\],?$/gm)) {
      parsed[snake(m[1])] = m[2].split(",").map((s) => s.trim()).filter(Boolean).map(snake);
      if (Object.keys(parsed).length === 6) break;
    }
    expect(parsed).toEqual(ALLOWED_NEXT);
  });
});

describe("the tasks board", () => {
  function backend(onTransition: (body: unknown) => Response) {
    return stubFetch((c) => {
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
      if (c.url.includes("/transition")) return onTransition(c.body);
      if (c.url.startsWith("/api/v1/planner/tasks"))
        return envelope({ results: [task("t1", "Paris in 48 hours", "queued"), task("t2", "Rome on a budget", "published")], next_cursor: null });
      return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
    });
  }

  it("offers only the allowed moves and moves a card with the version it saw", async () => {
    signInAs("editor");
    const { calls } = backend(() => envelope(task("t1", "Paris in 48 hours", "in_progress", 2)));
    renderAt("/planner/tasks");
    const moves = await screen.findByRole("group", { name: "Move Paris in 48 hours" });
    expect(within(moves).getAllByRole("button").map((b) => b.textContent)).toEqual(["→ In progress", "→ Cancelled"]);
    expect(screen.queryByRole("group", { name: "Move Rome on a budget" })).not.toBeInTheDocument();
    fireEvent.click(within(moves).getByRole("button", { name: "→ In progress" }));
    await waitFor(() => expect(within(screen.getByRole("region", { name: "In progress" })).getByText("Paris in 48 hours")).toBeInTheDocument());
    expect(calls.find((c) => c.url.includes("/transition"))).toMatchObject({
      url: "/api/v1/planner/tasks/t1/transition?site_id=s1",
      body: { status: "in_progress", version: 1, site_id: "s1" },
    });
  });

  it("shows the API's reason when a move is refused", async () => {
    signInAs("editor");
    backend(() => failure(409, "the task changed since you read it", "CONFLICT"));
    renderAt("/planner/tasks");
    fireEvent.click(await screen.findByRole("button", { name: "→ Cancelled" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the task changed since you read it");
  });

  it("a viewer sees the board without moves", async () => {
    signInAs("viewer");
    backend(() => failure(403, "no", "FORBIDDEN"));
    renderAt("/planner/tasks");
    expect(await screen.findByText("Paris in 48 hours")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /→/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /New task|Edit/ })).not.toBeInTheDocument();
  });
});

describe("adding and editing tasks", () => {
  const PEOPLE = [
    { id: "u1", name: "Ed", email: "ed@example.com", role: "editor", is_active: true },
    { id: "u2", name: "Wendy Writer", email: "w@example.com", role: "editor", is_active: true },
    { id: "u3", name: "Gone", email: "g@example.com", role: "viewer", is_active: false },
  ];
  function live(extra: (c: Call) => Response | null = () => null) {
    let tasks: Record<string, unknown>[] = [{ ...task("t1", "Paris in 48 hours", "queued", 5), keywords: ["paris weekend"], tone: "friendly", language: "en", brief: "" }];
    return stubFetch((c) => {
      const r = extra(c);
      if (r) return r;
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/users")) return envelope({ results: PEOPLE, next_cursor: null });
      if (c.url.startsWith("/api/v1/planner/clusters")) return envelope({ results: [{ id: "k1", name: "Paris", keyword_count: 4, total_volume: 10, status: "active" }], next_cursor: null });
      if (c.method === "POST" && c.url === "/api/v1/planner/tasks") {
        const b = c.body as Record<string, unknown>;
        if (!String(b.title).trim()) return failure(400, "title: must not be empty", "VALIDATION_ERROR", [{ field: "title", message: "must not be empty" }]);
        const made = { ...task("t2", String(b.title), "queued"), ...b };
        tasks = [...tasks, made];
        return envelope(made, 201);
      }
      if (c.method === "PATCH") {
        const b = c.body as Record<string, unknown>;
        if (b.language === "english") return failure(400, "language: must be a language tag such as en or pt-BR", "VALIDATION_ERROR", [{ field: "language", message: "must be a language tag such as en or pt-BR" }]);
        tasks = tasks.map((t) => (t.id === "t1" ? { ...t, ...b, version: 6 } : t));
        return envelope(tasks[0]);
      }
      if (c.url.startsWith("/api/v1/planner/tasks")) return envelope({ results: tasks, next_cursor: null });
      return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
    });
  }

  it("adds a task without an idea in the current sector; an empty title gets the API's error beside the field", async () => {
    signInAs("editor");
    const { calls } = live();
    renderAt("/planner/tasks");
    await screen.findByText("Paris in 48 hours");
    fireEvent.click(screen.getByRole("button", { name: "New task" }));
    const form = screen.getByRole("form", { name: "Add a task" });
    fireEvent.click(within(form).getByRole("button", { name: "Add task" }));
    await waitFor(() => expect(within(form).getByLabelText("Task title")).toHaveAttribute("aria-invalid", "true"));
    expect(within(form).getByText("must not be empty")).toBeInTheDocument();

    fireEvent.change(within(form).getByLabelText("Task title"), { target: { value: "Lyon food guide" } });
    fireEvent.change(within(form).getByLabelText("Keywords"), { target: { value: "lyon food, bouchon lyonnais" } });
    fireEvent.change(within(form).getByLabelText("Target words"), { target: { value: "900" } });
    fireEvent.change(within(form).getByLabelText("Due date"), { target: { value: "2026-12-24" } });
    await within(form).findByRole("option", { name: "Wendy Writer" });
    expect(within(form).queryByRole("option", { name: "Gone" })).not.toBeInTheDocument();
    fireEvent.change(within(form).getByLabelText("Assignee"), { target: { value: "u2" } });
    fireEvent.change(within(form).getByLabelText("Cluster (optional)"), { target: { value: "k1" } });
    fireEvent.change(within(form).getByLabelText("Brief"), { target: { value: "Where locals eat." } });
    fireEvent.click(within(form).getByRole("button", { name: "Add task" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Task “Lyon food guide” created.");
    expect(within(screen.getByRole("region", { name: "Queued" })).getByText("Lyon food guide")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add a task" })).not.toBeInTheDocument();
    const posts = calls.filter((c) => c.method === "POST" && c.url === "/api/v1/planner/tasks").map((c) => c.body);
    expect(posts).toEqual([
      { site_id: "s1", sector_id: "c1", title: "", target_word_count: 1500 },
      {
        site_id: "s1",
        sector_id: "c1",
        title: "Lyon food guide",
        target_word_count: 900,
        brief: "Where locals eat.",
        keywords: ["lyon food", "bouchon lyonnais"],
        due_date: "2026-12-24",
        assignee_id: "u2",
        cluster_id: "k1",
      },
    ]);
  });

  it("edits a task's fields with the version seen (a cleared tone as null), in place, keeping its moves", async () => {
    signInAs("editor");
    const { calls } = live();
    renderAt("/planner/tasks");
    fireEvent.click(await screen.findByRole("button", { name: "Edit Paris in 48 hours" }));
    const form = screen.getByRole("form", { name: "Edit Paris in 48 hours" });
    expect(within(form).getByLabelText("Keywords")).toHaveValue("paris weekend");
    expect(within(form).getByLabelText("Tone")).toHaveValue("friendly");
    expect(within(form).queryByLabelText("Cluster (optional)")).not.toBeInTheDocument();
    fireEvent.change(within(form).getByLabelText("Language"), { target: { value: "english" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save task" }));
    expect(await within(form).findByText("must be a language tag such as en or pt-BR")).toBeInTheDocument();
    expect(within(form).getByLabelText("Language")).toHaveAttribute("aria-invalid", "true");

    fireEvent.change(within(form).getByLabelText("Language"), { target: { value: "en" } });
    fireEvent.change(within(form).getByLabelText("Task title"), { target: { value: "Paris in 72 hours" } });
    fireEvent.change(within(form).getByLabelText("Tone"), { target: { value: "" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save task" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Task “Paris in 72 hours” saved.");
    const queued = screen.getByRole("region", { name: "Queued" });
    expect(within(queued).getByText("Paris in 72 hours")).toBeInTheDocument();
    const moves = screen.getByRole("group", { name: "Move Paris in 72 hours" });
    expect(within(moves).getAllByRole("button").map((b) => b.textContent)).toEqual(["→ In progress", "→ Cancelled"]);
    const patches = calls.filter((c) => c.method === "PATCH").map((c) => [c.url, c.body]);
    expect(patches).toEqual([
      ["/api/v1/planner/tasks/t1?site_id=s1", { version: 5, language: "english" }],
      ["/api/v1/planner/tasks/t1?site_id=s1", { version: 5, title: "Paris in 72 hours", tone: null }],
    ]);
    // The move after the edit carries the new version.
    fireEvent.click(within(moves).getByRole("button", { name: "→ In progress" }));
    await waitFor(() => expect(calls.find((c) => c.url.includes("/transition"))?.body).toEqual({ status: "in_progress", version: 6, site_id: "s1" }));
  });

  it("shows a keyword's error (keywords[1]) beside Keywords and lists an error naming no field of the form", async () => {
    signInAs("editor");
    live((c) =>
      c.method === "POST" && c.url === "/api/v1/planner/tasks"
        ? failure(400, "keywords[1]: must be at most 200 characters; idea_id: is not accepted here", "VALIDATION_ERROR", [
            { field: "keywords[1]", message: "must be at most 200 characters" },
            { field: "idea_id", message: "is not accepted here" },
          ])
        : null,
    );
    renderAt("/planner/tasks");
    fireEvent.click(await screen.findByRole("button", { name: "New task" }));
    const form = screen.getByRole("form", { name: "Add a task" });
    fireEvent.change(within(form).getByLabelText("Task title"), { target: { value: "Long keywords" } });
    fireEvent.click(within(form).getByRole("button", { name: "Add task" }));
    await waitFor(() => expect(within(form).getByLabelText("Keywords")).toHaveAttribute("aria-invalid", "true"));
    expect(within(form).getByText("keywords[1]: must be at most 200 characters")).toBeInTheDocument();
    expect(within(within(form).getByRole("list", { name: "Other errors" })).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["idea_id: is not accepted here"]);
  });
});

describe("deleting tasks", () => {
  function live(refuse: () => boolean = () => false) {
    let tasks = [task("t1", "Paris in 48 hours", "queued", 3), task("t2", "Rome on a budget", "published")];
    return stubFetch((c) => {
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/users")) return envelope({ results: [], next_cursor: null });
      if (c.method === "DELETE") {
        if (refuse()) return failure(409, "the task has an article in review; cancel it first", "CONFLICT");
        const id = c.url.split("?")[0].split("/").pop();
        tasks = tasks.filter((t) => t.id !== id);
        return envelope({ id, deleted: true });
      }
      if (c.url.startsWith("/api/v1/planner/tasks")) return envelope({ results: tasks, next_cursor: null });
      return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
    });
  }
  const deletes = (calls: Call[]) => calls.filter((c) => c.method === "DELETE").map((c) => c.url);

  it("deletes a task only after a confirm: the card goes and a note says so", async () => {
    signInAs("editor");
    const { calls } = live();
    renderAt("/planner/tasks");
    const card = await screen.findByRole("listitem", { name: "Paris in 48 hours" });
    fireEvent.click(within(card).getByRole("button", { name: "Delete Paris in 48 hours…" }));
    const confirm = within(card).getByRole("group", { name: "Confirm deleting Paris in 48 hours" });
    expect(deletes(calls)).toEqual([]);
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete task" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Task “Paris in 48 hours” deleted.");
    expect(screen.queryByText("Paris in 48 hours")).not.toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Queued" })).queryAllByRole("listitem")).toHaveLength(0);
    expect(screen.getByText("Rome on a budget")).toBeInTheDocument();
    expect(deletes(calls)).toEqual(["/api/v1/planner/tasks/t1?site_id=s1"]);
  });

  it("Keep closes the confirm without a request", async () => {
    signInAs("editor");
    const { calls } = live();
    renderAt("/planner/tasks");
    const card = await screen.findByRole("listitem", { name: "Paris in 48 hours" });
    fireEvent.click(within(card).getByRole("button", { name: "Delete Paris in 48 hours…" }));
    fireEvent.click(within(card).getByRole("button", { name: "Keep" }));
    expect(within(card).queryByRole("group", { name: "Confirm deleting Paris in 48 hours" })).not.toBeInTheDocument();
    expect(within(card).getByText("Paris in 48 hours")).toBeInTheDocument();
    expect(deletes(calls)).toEqual([]);
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("a refused delete shows the API's message and keeps the card", async () => {
    signInAs("editor");
    const { calls } = live(() => true);
    renderAt("/planner/tasks");
    const card = await screen.findByRole("listitem", { name: "Paris in 48 hours" });
    fireEvent.click(within(card).getByRole("button", { name: "Delete Paris in 48 hours…" }));
    const confirm = within(card).getByRole("group", { name: "Confirm deleting Paris in 48 hours" });
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete task" }));
    expect(await within(confirm).findByRole("alert")).toHaveTextContent("the task has an article in review; cancel it first");
    expect(within(screen.getByRole("region", { name: "Queued" })).getByRole("listitem", { name: "Paris in 48 hours" })).toBeInTheDocument();
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    expect(deletes(calls)).toEqual(["/api/v1/planner/tasks/t1?site_id=s1"]);
  });

  it("a viewer sees no Delete button", async () => {
    signInAs("viewer");
    live();
    renderAt("/planner/tasks");
    expect(await screen.findByText("Paris in 48 hours")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });
});

describe("the assignee filter", () => {
  const PEOPLE = [
    { id: "u1", name: "Ed", email: "ed@example.com", role: "editor", is_active: true },
    { id: "u2", name: "Wendy Writer", email: "w@example.com", role: "editor", is_active: true },
    { id: "u3", name: "Gone", email: "g@example.com", role: "viewer", is_active: false },
  ];
  const ALL = [
    { ...task("t1", "Paris in 48 hours", "queued"), assignee_id: "u1" },
    { ...task("t2", "Rome on a budget", "queued"), assignee_id: "u2" },
    { ...task("t3", "Lisbon trams", "review"), assignee_id: "u2" },
  ];
  /** Answers like the API: `assignee_id` filters; two pages when `paged`. */
  function live(paged = false) {
    return stubFetch((c) => {
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/users")) return envelope({ results: PEOPLE, next_cursor: null });
      if (c.url.startsWith("/api/v1/planner/tasks")) {
        const q = new URL(c.url, "http://x").searchParams;
        const who = q.get("assignee_id");
        const rows = ALL.filter((t) => !who || t.assignee_id === who);
        if (!paged) return envelope({ results: rows, next_cursor: null });
        return q.get("cursor") === "p2" ? envelope({ results: rows.slice(1), next_cursor: null }) : envelope({ results: rows.slice(0, 1), next_cursor: "p2" });
      }
      return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
    });
  }
  const lists = (calls: Call[]) => calls.filter((c) => c.method === "GET" && c.url.startsWith("/api/v1/planner/tasks")).map((c) => new URL(c.url, "http://x").searchParams);

  it("choosing a person asks the API for their tasks (assignee_id) and shows only what it answered", async () => {
    signInAs("viewer");
    const { calls } = live();
    renderAt("/planner/tasks");
    expect(await screen.findByText("Rome on a budget")).toBeInTheDocument();
    const select = screen.getByLabelText("Assignee");
    await within(select).findByRole("option", { name: "Wendy Writer" });
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["everyone", "Ed", "Wendy Writer"]);
    expect(lists(calls).map((q) => q.get("assignee_id"))).toEqual([null]);

    fireEvent.change(select, { target: { value: "u1" } });
    await waitFor(() => expect(screen.queryByText("Rome on a budget")).not.toBeInTheDocument());
    expect(screen.getByText("Paris in 48 hours")).toBeInTheDocument();
    expect(screen.queryByText("Lisbon trams")).not.toBeInTheDocument();
    expect(select).toHaveValue("u1");
    const sent = lists(calls).at(-1)!;
    expect(sent.get("assignee_id")).toBe("u1");
    expect(sent.get("site_id")).toBe("s1");
    expect(sent.get("sector_id")).toBe("c1");

    fireEvent.change(select, { target: { value: "" } });
    expect(await screen.findByText("Rome on a budget")).toBeInTheDocument();
    expect(lists(calls).at(-1)!.has("assignee_id")).toBe(false);
  });

  it("Load more keeps the assignee filter", async () => {
    signInAs("editor");
    const { calls } = live(true);
    renderAt("/planner/tasks");
    await screen.findByText("Paris in 48 hours");
    const select = screen.getByLabelText("Assignee");
    await within(select).findByRole("option", { name: "Wendy Writer" });
    fireEvent.change(select, { target: { value: "u2" } });
    expect(await screen.findByText("Rome on a budget")).toBeInTheDocument();
    expect(screen.queryByText("Paris in 48 hours")).not.toBeInTheDocument();
    expect(screen.queryByText("Lisbon trams")).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(screen.getByRole("region", { name: "Review" })).findByText("Lisbon trams")).toBeInTheDocument();
    expect(screen.getByText("Rome on a budget")).toBeInTheDocument();
    expect(screen.queryByText("Paris in 48 hours")).not.toBeInTheDocument();
    const more = lists(calls).at(-1)!;
    expect(more.get("cursor")).toBe("p2");
    expect(more.get("assignee_id")).toBe("u2");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });
});
