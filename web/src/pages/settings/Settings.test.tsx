import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const user = (id: string, role: string, extra = {}) => ({ id, account_id: "a1", email: `${id}@example.com`, name: id, role, is_active: true, created_at: "", version: 1, ...extra });
const SITE = { id: "s1", account_id: "a1", name: "Travel Blog", is_active: true, created_at: "", updated_at: "", version: 4 };
const SECTOR = { id: "c1", account_id: "a1", site_id: "s1", name: "City Breaks", is_active: true, created_at: "", updated_at: "", version: 1 };

function backend(extra: (c: Call) => Response | Promise<Response> | null = () => null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/users?")) return envelope({ results: [user("u1", "editor"), user("owner1", "owner"), user("vic", "viewer")], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [SECTOR], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites?")) return envelope({ results: [SITE], next_cursor: null });
    if (c.url.startsWith("/api/v1/audit-log")) {
      const p = c.url.includes("cursor=") ? "p2" : "p1";
      return envelope({
        results: [
          { id: `${p}-e1`, account_id: "a1", action: "user.add", actor_email: "ann@example.com", actor_id: "u1", created_at: "2026-12-01T10:00:00Z", target_id: "u9", target_type: "user" },
          { id: `${p}-e2`, account_id: "a1", action: "auth.login", actor_email: "ann@example.com", actor_id: "u1", created_at: "2026-12-01T09:00:00Z", target_id: "u1", target_type: "user" },
        ],
        next_cursor: p === "p2" ? null : "page2",
      });
    }
    if (c.url === "/api/v1/credits/balance") return envelope({ total: 100, plan_credits: 100, bonus_credits: 0, plan: "starter" });
    return envelope({});
  });
}

beforeEach(() => resetStores());

describe("settings: users and roles", () => {
  it("lets an admin add editors and viewers (not admins), change a role and deactivate; the API gets exactly that", async () => {
    signInAs("admin");
    const { calls } = backend((c) => {
      if (c.method === "PATCH" && c.url === "/api/v1/users/vic") return envelope(user("vic", (c.body as { role?: string }).role ?? "viewer", { ...(c.body as object), version: 2 }));
      if (c.method === "POST" && c.url === "/api/v1/users") return failure(400, "Invalid input", "VALIDATION_ERROR", [{ field: "password", message: "needs a digit" }]);
      return null;
    });
    renderAt("/settings");
    const table = await screen.findByRole("region", { name: "Users" });
    await within(table).findByText("vic@example.com");
    // The admin manages the viewer and the editor, not the owner, and not themself (u1 is signed in).
    expect(within(table).queryByLabelText("Role of owner1")).toBeNull();
    expect(within(table).queryByLabelText("Role of u1")).toBeNull();
    fireEvent.change(within(table).getByLabelText("Role of vic"), { target: { value: "editor" } });
    fireEvent.click(within(table).getByRole("button", { name: "Save role" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH" && c.url === "/api/v1/users/vic" && JSON.stringify(c.body) === '{"role":"editor"}')).toBe(true));
    fireEvent.click(await within(table).findByRole("button", { name: "Deactivate" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH" && JSON.stringify(c.body) === '{"is_active":false}')).toBe(true));
    expect(await within(table).findByText("deactivated")).toBeInTheDocument();

    const add = screen.getByRole("form", { name: "Add a user" });
    expect(within(add).getAllByRole("option").map((o) => o.textContent)).toEqual(["viewer", "editor"]);
    fireEvent.change(within(add).getByLabelText("Email"), { target: { value: "new@example.com" } });
    fireEvent.change(within(add).getByLabelText("Initial password"), { target: { value: "password-only" } });
    fireEvent.click(within(add).getByRole("button", { name: "Add user" }));
    expect(await within(add).findByText("needs a digit")).toBeInTheDocument();
    expect(within(add).getByLabelText("Initial password")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows an editor the users without any management control", async () => {
    signInAs("editor");
    backend();
    renderAt("/settings/users");
    await screen.findByText("vic@example.com");
    expect(screen.queryByRole("form", { name: "Add a user" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Deactivate|Remove|Save role/ })).toBeNull();
    expect(screen.getByText("Adding and managing users needs the admin role or above.")).toBeInTheDocument();
  });
});

describe("settings: sites and sectors", () => {
  it("deletes a site holding data only after the confirm the API asks for, then follows the job", async () => {
    signInAs("admin");
    const { calls } = backend((c) => {
      if (c.method === "DELETE" && c.url === "/api/v1/sites/s1")
        return failure(409, "the site holds sectors, keywords, content or other items; repeat with ?confirm=true to delete them all (a job does it)", "CONFLICT");
      if (c.method === "DELETE" && c.url === "/api/v1/sites/s1?confirm=true")
        return envelope({ id: "j9", account_id: "a1", kind: "site_delete", status: "queued", phase: "Initializing", progress: 0, created_at: "", updated_at: "", version: 1 }, 202);
      return null;
    });
    renderAt("/settings/sites");
    fireEvent.click(await screen.findByRole("button", { name: "Delete Travel Blog" }));
    const confirm = await screen.findByRole("group", { name: "Confirm deleting Travel Blog" });
    expect(confirm).toHaveTextContent("repeat with ?confirm=true");
    expect(calls.filter((c) => c.url.includes("confirm=true"))).toHaveLength(0);
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete everything in Travel Blog" }));
    expect(await screen.findByText(/Deleting Travel Blog and everything in it \(job j9\)/)).toBeInTheDocument();
  });

  it("keeps a site added while the first list is still on its way (a slow list answer does not wipe it)", async () => {
    signInAs("owner");
    const NEW = { ...SITE, id: "s2", name: "Trail Blog", version: 1 };
    let posted = false;
    let release: () => void = () => {};
    const posting = new Promise<void>((r) => (release = r));
    backend((c) => {
      if (c.method === "POST" && c.url === "/api/v1/sites") {
        posted = true;
        release();
        return envelope(NEW, 201);
      }
      // The first list was read before the POST and answers after it, without the new site.
      if (c.method === "GET" && c.url.startsWith("/api/v1/sites?"))
        return posted ? envelope({ results: [SITE, NEW], next_cursor: null }) : posting.then(() => new Promise<Response>((r) => setTimeout(() => r(envelope({ results: [SITE], next_cursor: null })), 20)));
      if (c.url.startsWith("/api/v1/sites/s2/sectors")) return envelope({ results: [], next_cursor: null });
      return null;
    });
    renderAt("/settings/sites");
    const add = await screen.findByRole("form", { name: "Add a site" });
    fireEvent.change(within(add).getByLabelText("Site name"), { target: { value: "Trail Blog" } });
    fireEvent.click(within(add).getByRole("button", { name: "Add site" }));
    const list = await screen.findByRole("region", { name: "Sites" });
    await waitFor(() => expect(list).toHaveTextContent("Travel Blog"));
    await new Promise((r) => setTimeout(r, 60));
    expect(list).toHaveTextContent("Trail Blog");
  });

  it("renames a sector with its version, and shows the field error next to the name", async () => {
    signInAs("owner");
    const { calls } = backend((c) =>
      c.method === "PATCH" && c.url === "/api/v1/sites/s1/sectors/c1" ? failure(400, "Invalid input", "VALIDATION_ERROR", [{ field: "name", message: "must not be empty" }]) : null,
    );
    renderAt("/settings/sites");
    fireEvent.click(await screen.findByRole("button", { name: "Rename City Breaks" }));
    const form = screen.getByRole("form", { name: "Rename City Breaks" });
    fireEvent.change(within(form).getByLabelText("Sector name"), { target: { value: "" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("must not be empty")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ name: "", version: 1 });
  });
});

describe("settings: audit log", () => {
  it("pages with the cursor and filters the loaded entries by action", async () => {
    signInAs("admin");
    const { calls } = backend();
    renderAt("/settings/audit-log");
    const log = await screen.findByRole("region", { name: "Audit entries" });
    await within(log).findByText("user.add");
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(calls.some((c) => c.url === "/api/v1/audit-log?limit=25&cursor=page2")).toBe(true));
    await waitFor(() => expect(within(log).getAllByText("auth.login")).toHaveLength(2));
    fireEvent.change(screen.getByLabelText("Action (in the loaded entries)"), { target: { value: "user.add" } });
    expect(within(log).queryByText("auth.login")).toBeNull();
    expect(within(log).getAllByText("user.add")).toHaveLength(2);
  });

  it("is not offered below admin (the API refuses it), and is not asked for", async () => {
    signInAs("editor");
    const { calls } = backend();
    renderAt("/settings/audit-log");
    expect(await screen.findByText("The audit log needs the admin role or above.")).toBeInTheDocument();
    expect(within(screen.getByRole("navigation", { name: "Settings" })).queryByRole("link", { name: "Audit log" })).toBeNull();
    expect(calls.some((c) => c.url.startsWith("/api/v1/audit-log"))).toBe(false);
  });
});
