// The content list, the image gallery and "Write article" on a task card.
import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, stubFetch, type Call } from "../../test/http";

function backend(extra: (c: Call) => Response | null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "Trail" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Run Blog" }], next_cursor: null });
    return envelope({ total: 50, plan_credits: 50, bonus_credits: 0, plan: "free" });
  });
}

beforeEach(resetStores);

describe("the content list", () => {
  it("lists the sector's content, filters by status on the server and links each to its editor", async () => {
    signInAs("viewer");
    const { calls } = backend((c) =>
      c.url.startsWith("/api/v1/writer/content?")
        ? envelope({ results: [{ id: "w1", title: "Best trail shoes", focus_keyword: "trail shoes", word_count: 1480, status: "draft", current_version: 3, updated_at: "2026-12-01T00:00:00Z" }], next_cursor: null })
        : null,
    );
    const { router } = renderAt("/writer/content");
    const link = await screen.findByRole("link", { name: "Best trail shoes" });
    expect(link).toHaveAttribute("href", "/writer/content/w1");
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "review" } });
    await waitFor(() => expect(calls.some((c) => c.url === "/api/v1/writer/content?site_id=s1&sector_id=c1&status=review&ordering=-created_at&limit=50")).toBe(true));
    fireEvent.click(link);
    await waitFor(() => expect(router.state.location.pathname).toBe("/writer/content/w1"));
  });
});

describe("the image gallery", () => {
  const img = { id: "img1", content_id: "w1", kind: "section", position: 2, url: "https://assets.example/a.png?X-Amz-Signature=1", alt_text: "Runner on mud", width: 1024, height: 576, prompt: "A runner on mud", cost: 1 };
  it("shows the presigned images and sets one as its article's featured image", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.url.startsWith("/api/v1/writer/images?")) return envelope({ results: [img], next_cursor: null });
      if (c.url.includes("/set-featured")) return envelope({ id: "w1", title: "Best trail shoes" });
      return null;
    });
    renderAt("/writer/images");
    const gallery = await screen.findByRole("list", { name: "Image gallery" });
    expect(await within(gallery).findByRole("img", { name: "Runner on mud" })).toHaveAttribute("src", img.url);
    expect(within(gallery).getByRole("link", { name: "Open article" })).toHaveAttribute("href", "/writer/content/w1");
    fireEvent.click(within(gallery).getByRole("button", { name: "Set as featured" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Featured image of “Best trail shoes” set.");
    expect(calls.find((c) => c.url.includes("/set-featured"))).toMatchObject({ method: "POST", url: "/api/v1/writer/images/img1/set-featured?site_id=s1", body: { site_id: "s1" } });
  });
  it("a viewer sees the images without the action", async () => {
    signInAs("viewer");
    backend((c) => (c.url.startsWith("/api/v1/writer/images?") ? envelope({ results: [img], next_cursor: null }) : null));
    renderAt("/writer/images");
    await screen.findByRole("img", { name: "Runner on mud" });
    expect(screen.queryByRole("button", { name: "Set as featured" })).not.toBeInTheDocument();
  });
});

describe("write article from a task", () => {
  const task = (id: string, title: string, status: string) => ({ id, title, status, version: 1, target_word_count: 1200 });
  it("shows the cost, follows the job, and opens the article it wrote", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.url.startsWith("/api/v1/planner/tasks?")) return envelope({ results: [task("t1", "Trail shoes guide", "queued"), task("t2", "Done one", "published")], next_cursor: null });
      if (c.url.endsWith("/generate"))
        return (c.body as { dry_run: boolean }).dry_run
          ? envelope({ dry_run: true, estimated_credits: 3, function: "generate_content", would_run: {} })
          : envelope({ id: "j3", kind: "generate_content", status: "queued", phase: "Initializing", progress: 0 }, 202);
      if (c.url === "/api/v1/jobs/j3") return envelope({ id: "j3", kind: "generate_content", status: "completed", phase: "Completed", progress: 100, result: { content_id: "w42" } });
      if (c.url.startsWith("/api/v1/writer/content/w42")) return envelope({ id: "w42", title: "Trail shoes guide", body_html: "<p>x</p>", slug: "x", status: "draft", version: 1, current_version: 1, word_count: 1 });
      return null;
    });
    const { router } = renderAt("/planner/tasks");
    const buttons = await screen.findAllByRole("button", { name: "Write article…" });
    expect(buttons).toHaveLength(1); // not on the published task
    fireEvent.click(buttons[0]);
    expect(await screen.findByRole("group", { name: "Confirm Write article" })).toHaveTextContent("Write “Trail shoes guide” for 3 credits?");
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/writer/content/w42"));
    expect(calls.filter((c) => c.url.endsWith("/generate")).map((c) => [c.url, c.body])).toEqual([
      ["/api/v1/planner/tasks/t1/generate", { site_id: "s1", dry_run: true }],
      ["/api/v1/planner/tasks/t1/generate", { site_id: "s1", dry_run: false }],
    ]);
  });
});
