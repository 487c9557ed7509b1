import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import rules from "../../../../shared/src/planner/tasks.rs?raw";
import { ALLOWED_NEXT, type TaskStatus } from "../../stores/tasksStore";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch } from "../../test/http";

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
  });
});
