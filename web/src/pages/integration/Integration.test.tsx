import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, stubFetch, type Call } from "../../test/http";

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
    expect(screen.queryByRole("button", { name: /Test connection|Sync|Edit connection|Disconnect|Publish/ })).toBeNull();
    expect(screen.queryByRole("form")).toBeNull();
  });
});
