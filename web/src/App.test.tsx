import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { ACCOUNT, USER, renderAt, resetStores, signInAs } from "./test/app";
import { envelope, failure, pair, setCsrfCookie, stubFetch } from "./test/http";
import { useAuthStore } from "./stores/authStore";

const SITE = { id: "s1", account_id: "a1", name: "Demo Travel Blog", is_active: true, created_at: "", updated_at: "", version: 1 };
const SECTOR = { id: "c1", account_id: "a1", site_id: "s1", name: "City Breaks", is_active: true, created_at: "", updated_at: "", version: 1 };

beforeEach(resetStores);

describe("protected routes and the session", () => {
  it("sends a signed-out visitor to the sign-in page", async () => {
    stubFetch(() => failure(500, "unexpected call", "INTERNAL_ERROR"));
    const { router } = renderAt("/planner/keywords");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/signin");
  });

  it("signs in, then lands on the page asked for, with the shell", async () => {
    const { calls } = stubFetch((c) => {
      if (c.url === "/api/v1/auth/login") return envelope({ user: USER, account: ACCOUNT, tokens: pair(1) });
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [SECTOR], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [SITE], next_cursor: null });
      if (c.url === "/api/v1/credits/balance") return envelope({ total: 120, plan_credits: 100, bonus_credits: 20, plan: "starter" });
      if (c.url.startsWith("/api/v1/planner/keywords")) return envelope({ results: [], next_cursor: null });
      return failure(404, "Not found", "NOT_FOUND");
    });
    const { router } = renderAt("/planner/keywords");
    fireEvent.change(await screen.findByLabelText("Email"), { target: { value: "ed@example.com" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "Secret-pass-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Keywords" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/planner/keywords");
    expect(await screen.findByText("120 credits")).toBeInTheDocument();
    expect(await screen.findByRole("option", { name: "City Breaks" })).toBeInTheDocument();
    await waitFor(() => expect(calls.some((c) => c.url.includes("/api/v1/planner/keywords?site_id=s1&sector_id=c1"))).toBe(true));
    expect(calls.find((c) => c.url.startsWith("/api/v1/planner/keywords"))?.auth).toBe("Bearer access-1");
  });

  it("shows the envelope's error and puts field errors next to their fields", async () => {
    stubFetch(() =>
      failure(400, "Some fields are invalid", "VALIDATION_ERROR", [
        { field: "email", message: "is not an email address" },
        { field: "password", message: "must have at least 8 characters" },
      ]),
    );
    renderAt("/register");
    fireEvent.click(await screen.findByRole("button", { name: "Register" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Some fields are invalid");
    const email = screen.getByLabelText("Email");
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription("is not an email address");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("must have at least 8 characters");
  });

  it("when the refresh is refused, the user lands on the sign-in page, told why", async () => {
    signInAs("editor");
    const { calls } = stubFetch((c) =>
      c.url === "/api/v1/auth/refresh" ? failure(401, "Refresh token revoked", "UNAUTHORIZED") : failure(401, "Token expired", "UNAUTHORIZED"),
    );
    const { router } = renderAt("/planner/keywords");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Your session has ended");
    expect(router.state.location.pathname).toBe("/signin");
    expect(useAuthStore.getState().access).toBeNull();
    // Several calls hit 401 at once; one refresh was tried for all of them.
    expect(calls.filter((c) => c.url === "/api/v1/auth/refresh").length).toBe(1);
  });

  it("after a refresh the stores keep the new tokens", async () => {
    signInAs("editor");
    stubFetch((c) => {
      if (c.url === "/api/v1/auth/refresh") return envelope(pair(2));
      if (c.auth !== "Bearer access-2") return failure(401, "Token expired", "UNAUTHORIZED");
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
      return envelope({ total: 1, plan_credits: 1, bonus_credits: 0, plan: "free" });
    });
    renderAt("/account/password");
    expect(await screen.findByText("1 credits")).toBeInTheDocument();
    expect(useAuthStore.getState()).toMatchObject({ access: "access-2" });
    expect(useAuthStore.getState()).not.toHaveProperty("refresh");
  });

  it("a reload keeps the user signed in: one cookie refresh, then /me, then the page", async () => {
    setCsrfCookie("csrf-9");
    const { calls } = stubFetch((c) => {
      if (c.url === "/api/v1/auth/refresh") return envelope(pair(7));
      if (c.auth !== "Bearer access-7") return failure(401, "Token expired", "UNAUTHORIZED");
      if (c.url === "/api/v1/auth/me") return envelope({ user: USER, account: ACCOUNT });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
      if (c.url.startsWith("/api/v1/planner/keywords")) return envelope({ results: [], next_cursor: null });
      return envelope({ total: 3, plan_credits: 3, bonus_credits: 0, plan: "free" });
    });
    // As main.tsx does at start-up; the protected page waits for it.
    const restored = useAuthStore.getState().restore();
    const { router } = renderAt("/planner/keywords");
    expect(screen.getByRole("status")).toHaveTextContent("Restoring your session");
    await restored;
    expect(await screen.findByRole("heading", { name: "Keywords" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/planner/keywords");
    const refresh = calls.filter((c) => c.url === "/api/v1/auth/refresh");
    expect(refresh).toHaveLength(1);
    expect(refresh[0].headers).toMatchObject({ "x-session-mode": "cookie", "x-csrf-token": "csrf-9" });
    expect(refresh[0].body).toBeUndefined();
    expect(calls[0].url).toBe("/api/v1/auth/refresh");
    expect(calls[1]).toMatchObject({ url: "/api/v1/auth/me", auth: "Bearer access-7" });
  });

  it("a reload without a session cookie goes to the sign-in page without calling the API", async () => {
    const { calls } = stubFetch(() => failure(500, "unexpected call", "INTERNAL_ERROR"));
    await useAuthStore.getState().restore();
    const { router } = renderAt("/planner/keywords");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/signin");
    expect(calls).toHaveLength(0);
  });

  it("a reload whose cookie refresh is refused goes to the sign-in page", async () => {
    setCsrfCookie("stale");
    const { calls } = stubFetch((c) => (c.url === "/api/v1/auth/refresh" ? failure(401, "Refresh token revoked", "UNAUTHORIZED") : failure(500, "unexpected", "INTERNAL_ERROR")));
    await useAuthStore.getState().restore();
    const { router } = renderAt("/planner/keywords");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/signin");
    expect(calls.map((c) => c.url)).toEqual(["/api/v1/auth/refresh"]);
  });

  it("an address with no page says so inside the shell", async () => {
    signInAs("viewer");
    stubFetch((c) => (c.url.startsWith("/api/v1/sites") ? envelope({ results: [], next_cursor: null }) : envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" })));
    renderAt("/no-such-page");
    expect(await screen.findByRole("status")).toHaveTextContent("There is no page at this address.");
  });
});

describe("signing out", () => {
  it("leaves none of the account's data in the stores for the next user", async () => {
    signInAs("editor");
    const { useKeywordsStore } = await import("./stores/keywordsStore");
    const { useCreditsStore } = await import("./stores/creditsStore");
    const { useSiteStore } = await import("./stores/siteStore");
    useKeywordsStore.setState({ rows: [{ id: "k1", keyword: "secret plan" } as never], next: "c2" });
    useCreditsStore.setState({ balance: { total: 5, plan_credits: 5, bonus_credits: 0, plan: "free" } });
    useSiteStore.setState({ sites: [{ id: "s1", name: "Their site" } as never] });
    const { calls } = stubFetch(() => envelope({}));
    await useAuthStore.getState().signOut();
    // The server revokes the cookie's sign-in (CSRF-checked) and clears the cookies.
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: "/api/v1/auth/logout", body: undefined });
    expect(calls[0].headers).toMatchObject({ "x-session-mode": "cookie", "x-csrf-token": "csrf-1" });
    expect(useKeywordsStore.getState()).toMatchObject({ rows: [], next: null });
    expect(useCreditsStore.getState().balance).toBeNull();
    expect(useSiteStore.getState().sites).toEqual([]);
  });
});
