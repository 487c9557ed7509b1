import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const SITE = { id: "s1", account_id: "a1", name: "Travel Blog", is_active: true, created_at: "", updated_at: "", version: 1 };
const VIEW = {
  id: "i1",
  site_id: "s1",
  platform: "wordpress",
  base_url: "http://wp.local",
  username: "editor",
  application_password: "••••wxyz",
  default_status: "draft",
  status: "active",
  webhook_path: "/api/v1/integration/webhooks/i1/",
  created_at: "",
  updated_at: "",
  version: 3,
};

function backend(connected: boolean, extra: (c: Call) => Response | null = () => null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [SITE], next_cursor: null });
    if (c.url.startsWith("/api/v1/integration/integrations?")) return envelope({ results: connected ? [VIEW] : [], next_cursor: null });
    if (c.url.startsWith("/api/v1/integration/integrations/i1/logs"))
      return envelope({
        results: [{ id: "l1", account_id: "a1", integration_id: "i1", action: "publish", status: "error", error: "rest_cannot_create", duration_ms: 40, created_at: "2026-12-01T10:00:00Z" }],
        next_cursor: null,
      });
    if (c.url.startsWith("/api/v1/integration/integrations/i1/scheduled")) return envelope({ results: [], next_cursor: null });
    if (c.url.startsWith("/api/v1/writer/content")) return envelope({ results: [], next_cursor: null });
    if (c.url === "/api/v1/credits/balance") return envelope({ total: 100, plan_credits: 100, bonus_credits: 0, plan: "starter" });
    return envelope({});
  });
}

beforeEach(() => resetStores());

describe("integration page", () => {
  it("connects with the application password in a password field and shows the webhook secret once", async () => {
    signInAs("admin");
    const { calls } = backend(false, (c) =>
      c.method === "POST" && c.url === "/api/v1/integration/integrations" ? envelope({ ...VIEW, webhook_secret: "whsec-123" }, 201) : null,
    );
    renderAt("/integration");
    const form = await screen.findByRole("form", { name: "Connect WordPress" });
    const pw = within(form).getByLabelText("Application password");
    expect(pw).toHaveAttribute("type", "password");
    fireEvent.change(within(form).getByLabelText("WordPress URL"), { target: { value: "http://wp.local" } });
    fireEvent.change(within(form).getByLabelText("WordPress username"), { target: { value: "editor" } });
    fireEvent.change(pw, { target: { value: "abcd efgh ijkl wxyz" } });
    fireEvent.click(within(form).getByRole("button", { name: "Connect" }));
    await waitFor(() => expect(calls.map((c) => `${c.method} ${c.url}`)).toContain("POST /api/v1/integration/integrations"));
    expect(await screen.findByText("whsec-123")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      base_url: "http://wp.local",
      username: "editor",
      application_password: "abcd efgh ijkl wxyz",
      default_status: "draft",
      platform: "wordpress",
      site_id: "s1",
    });
    expect(screen.getByLabelText("Connection")).toHaveTextContent("••••wxyz");
  });

  it("keeps the stored password when an update leaves it empty, and sends the version", async () => {
    signInAs("owner");
    const { calls } = backend(true, (c) => (c.method === "PATCH" ? envelope({ ...VIEW, username: "writer", version: 4 }) : null));
    renderAt("/integration");
    fireEvent.click(await screen.findByRole("button", { name: "Edit connection" }));
    const form = screen.getByRole("form", { name: "Update the WordPress connection" });
    expect(within(form).getByText("Stored: ••••wxyz. Leave empty to keep it.")).toBeInTheDocument();
    fireEvent.change(within(form).getByLabelText("WordPress username"), { target: { value: "writer" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save connection" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    const body = calls.find((c) => c.method === "PATCH")!.body as Record<string, unknown>;
    expect(body).toEqual({ base_url: "http://wp.local", username: "writer", default_status: "draft", version: 3 });
    expect("application_password" in body).toBe(false);
  });

  it("shows each check of a connection test with what to fix", async () => {
    signInAs("admin");
    backend(true, (c) =>
      c.url === "/api/v1/integration/integrations/i1/test-connection"
        ? envelope({
            ok: false,
            integration: { ...VIEW, last_test_ok: false },
            checks: [
              { check: "reachable", ok: true, detail: "HTTP 200 in 12 ms" },
              { check: "authenticated", ok: false, detail: "WordPress answered 401 rest_not_logged_in", fix: "Create a new application password" },
            ],
          })
        : null,
    );
    renderAt("/integration");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const report = await screen.findByRole("region", { name: "Connection test" });
    const items = within(report).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("reachable passed HTTP 200 in 12 ms");
    expect(items[0]).not.toHaveTextContent("Fix:");
    expect(items[1]).toHaveTextContent("authenticated failed WordPress answered 401 rest_not_logged_in");
    expect(items[1]).toHaveTextContent("Fix: Create a new application password");
  });

  it("gives a viewer the connection and its log but no write buttons", async () => {
    signInAs("viewer");
    backend(true);
    renderAt("/integration");
    expect(await screen.findByRole("region", { name: "Sync log" })).toHaveTextContent("rest_cannot_create");
    expect(screen.queryByRole("button", { name: /Test connection|Sync|Edit connection|Disconnect|Publish|Schedule|Cancel/ })).toBeNull();
    expect(screen.queryByRole("form")).toBeNull();
  });
});

const CONTENT = [
  { id: "ca", title: "Alpine trails", status: "draft", site_id: "s1", language: "en", current_version: 1, created_at: "", updated_at: "", word_count: 900, version: 1 },
  { id: "cb", title: "Beach runs", status: "draft", site_id: "s1", language: "en", current_version: 1, created_at: "", updated_at: "", word_count: 800, version: 1 },
];
const SP = {
  id: "sp1",
  account_id: "a1",
  integration_id: "i1",
  site_id: "s1",
  content_id: "ca",
  publish_at: "2026-12-24T08:00:00Z",
  local_time: "2026-12-24T09:00:00+01:00",
  timezone: "Europe/Berlin",
  schedule_name: "w-a1-sp1",
  expression: "at(2026-12-24T08:00:00)",
  job_id: "j1",
  status: "scheduled",
  created_at: "",
  updated_at: "",
  version: 1,
};

/** A connected site in Berlin time with two content items; `scheduled` is what …/scheduled/ lists. */
function berlin(scheduled: () => unknown[], extra: (c: Call) => Response | null = () => null) {
  return backend(true, (c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites?")) return envelope({ results: [{ ...SITE, timezone: "Europe/Berlin" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/writer/content")) return envelope({ results: CONTENT, next_cursor: null });
    if (c.method === "GET" && c.url.startsWith("/api/v1/integration/integrations/i1/scheduled")) return envelope({ results: scheduled(), next_cursor: null });
    return null;
  });
}

describe("scheduled publishing", () => {
  it("schedules one item for a local time read in the site's zone; a past date is refused beside the date", async () => {
    signInAs("editor");
    let listed: unknown[] = [];
    const { calls } = berlin(
      () => listed,
      (c) => {
        if (c.method !== "POST" || c.url !== "/api/v1/integration/integrations/i1/publish") return null;
        const body = c.body as { date: string };
        if (body.date < "2026-12-02") return failure(400, "The request is not valid", "VALIDATION_ERROR", [{ field: "date", message: "is in the past (2020-01-01T08:00:00Z); a scheduled publish needs a future minute" }]);
        listed = [SP];
        return envelope({ id: "j1", account_id: "a1", kind: "wordpress_publish", status: "queued", progress: 0, created_at: "", updated_at: "" }, 202);
      },
    );
    renderAt("/integration");
    const form = await screen.findByRole("form", { name: "Publish a content item" });
    await within(form).findByRole("option", { name: /Alpine trails/ });
    fireEvent.change(within(form).getByLabelText("Content item"), { target: { value: "ca" } });
    expect(within(form).getByRole("button", { name: "Publish" })).toBeEnabled();
    fireEvent.click(within(form).getByLabelText("Schedule for…"));
    expect(within(form).queryByLabelText("WordPress status")).toBeNull();
    const date = within(form).getByLabelText("Publish at (Europe/Berlin)");
    expect(date).toHaveAttribute("type", "datetime-local");
    expect(form).toHaveTextContent("Times are read in Europe/Berlin, the site's time zone.");
    fireEvent.change(date, { target: { value: "2020-01-01T09:00" } });
    fireEvent.click(within(form).getByRole("button", { name: "Schedule publish" }));
    await waitFor(() => expect(date).toHaveAttribute("aria-invalid", "true"));
    expect(date).toHaveAccessibleDescription("is in the past (2020-01-01T08:00:00Z); a scheduled publish needs a future minute");

    fireEvent.change(date, { target: { value: "2026-12-24T09:00" } });
    fireEvent.click(within(form).getByRole("button", { name: "Schedule publish" }));
    expect(await within(form).findByRole("status")).toHaveTextContent("Scheduled for 2026-12-24 09:00 Europe/Berlin.");
    const sent = calls.filter((c) => c.method === "POST" && c.url.endsWith("/publish")).map((c) => c.body);
    expect(sent[1]).toEqual({ content_id: "ca", status: "future", date: "2026-12-24T09:00", categories: null, tags: null });
    expect(date).not.toHaveAttribute("aria-invalid");
    const list = screen.getByRole("region", { name: "Scheduled publishes" });
    await waitFor(() => expect(within(list).getAllByRole("row")[1]).toHaveTextContent("2026-12-24 09:00 Europe/Berlin2026-12-24 08:00ZAlpine trailsscheduled"));
    // The job waits for its minute: it is not followed in the progress modal.
    expect(calls.some((c) => c.url.startsWith("/api/v1/jobs/"))).toBe(false);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("spreads a batch by the interval: planned times first, the API's times after, per-item errors beside the items", async () => {
    signInAs("editor");
    let attempt = 0;
    const { calls } = berlin(
      () => [],
      (c) => {
        if (c.method !== "POST" || !c.url.endsWith("/publish-batch")) return null;
        attempt += 1;
        if (attempt === 1) return failure(400, "The request is not valid", "VALIDATION_ERROR", [{ field: "content_ids[1]", message: "content ca has no body yet" }]);
        return envelope(
          {
            batch_id: "b1",
            timezone: "Europe/Berlin",
            scheduled: [
              { ...SP, id: "sp2", content_id: "cb", batch_id: "b1" },
              { ...SP, id: "sp3", content_id: "ca", batch_id: "b1", publish_at: "2026-12-24T10:00:00Z", local_time: "2026-12-24T11:00:00+01:00" },
            ],
          },
          201,
        );
      },
    );
    renderAt("/integration");
    const form = await screen.findByRole("form", { name: "Schedule a batch" });
    fireEvent.click(await within(form).findByRole("checkbox", { name: /Beach runs/ }));
    fireEvent.click(within(form).getByRole("checkbox", { name: /Alpine trails/ }));
    fireEvent.change(within(form).getByLabelText("First publish at (Europe/Berlin)"), { target: { value: "2026-12-24T09:00" } });
    const every = within(form).getByLabelText("Every (minutes)");
    fireEvent.change(every, { target: { value: "2h" } });
    expect(within(form).queryByRole("region", { name: "Planned times" })).toBeNull();
    fireEvent.click(within(form).getByRole("button", { name: "Schedule 2 items" }));
    await waitFor(() => expect(every).toHaveAccessibleDescription("must be a whole number of minutes"));
    expect(attempt).toBe(0);
    fireEvent.change(every, { target: { value: "120" } });
    const planned = within(form).getByRole("region", { name: "Planned times" });
    expect(within(planned).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "2026-12-24 09:00 — Beach runs (2026-12-24 08:00Z)",
      "2026-12-24 11:00 — Alpine trails (2026-12-24 10:00Z)",
    ]);
    fireEvent.click(within(form).getByRole("button", { name: "Schedule 2 items" }));
    expect(await within(form).findByText("#2 Alpine trails: content ca has no body yet")).toBeInTheDocument();
    expect(within(form).getByRole("group", { name: "Content items, in publishing order" })).toHaveAccessibleDescription("#2 Alpine trails: content ca has no body yet");

    fireEvent.click(within(form).getByRole("button", { name: "Schedule 2 items" }));
    const done = await within(form).findByRole("status", { name: "Batch scheduled" });
    expect(done).toHaveTextContent("Scheduled 2 items in Europe/Berlin:");
    expect(within(done).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["2026-12-24 09:00 Europe/Berlin — Beach runs", "2026-12-24 11:00 Europe/Berlin — Alpine trails"]);
    const bodies = calls.filter((c) => c.url.endsWith("/publish-batch")).map((c) => c.body);
    expect(bodies[1]).toEqual({ content_ids: ["cb", "ca"], start: "2026-12-24T09:00", every_minutes: 120, categories: null, tags: null });
  });

  it("cancels a scheduled publish only after a confirmation; a viewer sees the list without Cancel", async () => {
    signInAs("editor");
    const { calls } = berlin(
      () => [SP, { ...SP, id: "sp0", content_id: "cb", status: "published", wp_post_id: 42 }],
      (c) => (c.method === "DELETE" ? envelope({ ...SP, status: "cancelled", cancelled_at: "2026-12-02T10:00:00Z", cancelled_by: "u1", version: 2 }) : null),
    );
    const { unmount } = renderAt("/integration");
    const list = await screen.findByRole("region", { name: "Scheduled publishes" });
    await within(list).findByText("Alpine trails");
    expect(within(list).getAllByRole("button")).toHaveLength(1); // the published one cannot be cancelled
    fireEvent.click(within(list).getByRole("button", { name: "Cancel Alpine trails at 2026-12-24 09:00 Europe/Berlin…" }));
    const confirm = within(list).getByRole("group", { name: "Confirm cancelling Alpine trails at 2026-12-24 09:00 Europe/Berlin" });
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(within(confirm).getByRole("button", { name: "Keep it" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(within(list).getByRole("button", { name: /^Cancel Alpine trails/ }));
    fireEvent.click(within(list).getByRole("button", { name: "Cancel this publish" }));
    await waitFor(() => expect(within(list).getAllByRole("row")[1]).toHaveTextContent(/Alpine trailscancelledcancelled/));
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/integration/integrations/i1/scheduled/sp1"]);
    expect(within(list).getAllByRole("row")[2]).toHaveTextContent("published (post 42)");
    expect(within(list).queryAllByRole("button")).toHaveLength(0);
    unmount();

    resetStores();
    signInAs("viewer");
    berlin(() => [SP]);
    renderAt("/integration");
    const viewerList = await screen.findByRole("region", { name: "Scheduled publishes" });
    expect(await within(viewerList).findByText("Alpine trails")).toBeInTheDocument();
    expect(within(viewerList).queryAllByRole("button")).toHaveLength(0);
    expect(screen.queryByRole("form", { name: /Schedule a batch|Publish/ })).toBeNull();
  });
});
