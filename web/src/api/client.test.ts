import { describe, expect, it, vi } from "vitest";
import { ApiError, createApiClient, readCookie, type Session } from "./client";
import { envelope, failure, pair, scriptedFetch } from "../test/http";

function session(access: string | null = "access-1") {
  const s = {
    tokens: { access },
    expired: vi.fn(),
    access: () => s.tokens.access,
    refreshed: vi.fn((t: { access: string }) => {
      s.tokens = { access: t.access };
    }),
  };
  return s satisfies Session;
}

/** The session's readable CSRF cookie (absent: no cookie session). */
const csrf = (value: string | null = "csrf-1") => () => value;

const REFRESH = "/api/v1/auth/refresh";

describe("the API client", () => {
  it("sends the access token, builds the query from the set parameters, returns the envelope's data", async () => {
    const { fn, calls } = scriptedFetch(() => envelope({ results: [], next_cursor: null }));
    const api = createApiClient({ session: session(), fetch: fn });
    const r = await api.get("/api/v1/planner/keywords", {
      query: { site_id: "s 1", sector_id: undefined, search: "", min_volume: 10, ordering: "-created_at" },
    });
    expect(r.data).toEqual({ results: [], next_cursor: null });
    expect(calls).toHaveLength(1);
    expect(calls[0].auth).toBe("Bearer access-1");
    expect(calls[0].url).toBe("/api/v1/planner/keywords?site_id=s+1&min_volume=10&ordering=-created_at");
  });

  it("fills path parameters, encoded", async () => {
    const { fn, calls } = scriptedFetch(() => envelope({ id: "a/b" }));
    const api = createApiClient({ session: session(), fetch: fn });
    await api.get("/api/v1/jobs/{id}", { path: { id: "a/b" } });
    expect(calls[0].url).toBe("/api/v1/jobs/a%2Fb");
  });

  it("on a 401 refreshes once and retries the request with the new token", async () => {
    const s = session();
    const { fn, calls } = scriptedFetch((c) => {
      if (c.url === REFRESH) return envelope(pair(2));
      return c.auth === "Bearer access-2" ? envelope({ total: 5 }) : failure(401, "Token expired", "UNAUTHORIZED");
    });
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf() });
    const r = await api.get("/api/v1/credits/balance");
    expect(r.data).toEqual({ total: 5 });
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["/api/v1/credits/balance", "Bearer access-1"],
      [REFRESH, null],
      ["/api/v1/credits/balance", "Bearer access-2"],
    ]);
    // Cookie mode: no token in the body (the browser sends the HttpOnly cookie),
    // the CSRF cookie's value in X-CSRF-Token, the cookies sent (same origin).
    expect(calls[1].body).toBeUndefined();
    expect(calls[1].headers).toMatchObject({ "x-session-mode": "cookie", "x-csrf-token": "csrf-1" });
    expect(calls[1].credentials).toBe("same-origin");
    expect(s.refreshed).toHaveBeenCalledTimes(1);
    expect(s.expired).not.toHaveBeenCalled();
  });

  it("shares one refresh between concurrent 401s (a refresh token works once)", async () => {
    const s = session();
    const { fn, calls } = scriptedFetch(async (c) => {
      if (c.url === REFRESH) {
        await new Promise((r) => setTimeout(r, 10));
        return envelope(pair(2));
      }
      return c.auth === "Bearer access-2" ? envelope({ ok: c.url }) : failure(401, "Token expired", "UNAUTHORIZED");
    });
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf() });
    await Promise.all([api.get("/api/v1/credits/balance"), api.get("/api/v1/auth/me"), api.get("/api/v1/sites")]);
    expect(calls.filter((c) => c.url === REFRESH)).toHaveLength(1);
    expect(calls).toHaveLength(7);
  });

  it("when the refresh is refused, ends the session and does not retry", async () => {
    const s = session();
    const { fn, calls } = scriptedFetch((c) =>
      c.url === REFRESH ? failure(401, "Refresh token revoked", "UNAUTHORIZED") : failure(401, "Token expired", "UNAUTHORIZED"),
    );
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf() });
    const err = await api.get("/api/v1/credits/balance").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(calls.map((c) => c.url)).toEqual(["/api/v1/credits/balance", REFRESH]);
    expect(s.expired).toHaveBeenCalledTimes(1);
    expect(s.refreshed).not.toHaveBeenCalled();
  });

  it("refreshes at most once: a second 401 after the retry ends the session", async () => {
    const s = session();
    const { fn, calls } = scriptedFetch((c) => (c.url === REFRESH ? envelope(pair(2)) : failure(401, "No", "UNAUTHORIZED")));
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf() });
    await expect(api.get("/api/v1/auth/me")).rejects.toBeInstanceOf(ApiError);
    expect(calls.map((c) => c.url)).toEqual(["/api/v1/auth/me", REFRESH, "/api/v1/auth/me"]);
    expect(s.expired).toHaveBeenCalledTimes(1);
  });

  it("a wrong password at sign-in is an error, not a refresh", async () => {
    const s = session(null);
    const { fn, calls } = scriptedFetch(() => failure(401, "Invalid email or password", "UNAUTHORIZED"));
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf(null) });
    await expect(api.post("/api/v1/auth/login", { body: { email: "a@b.c", password: "x" } })).rejects.toMatchObject({
      message: "Invalid email or password",
      code: "UNAUTHORIZED",
    });
    expect(calls).toHaveLength(1);
    expect(s.expired).not.toHaveBeenCalled();
  });

  it("turns the error envelope into an ApiError with the field errors by field", async () => {
    const { fn } = scriptedFetch(() =>
      failure(400, "Validation failed", "VALIDATION_ERROR", [
        { field: "email", message: "not an email address" },
        { field: "password", message: "too short" },
        { field: "password", message: "needs a digit" },
      ]),
    );
    const api = createApiClient({ session: session(null), fetch: fn, csrfToken: csrf(null) });
    const err = (await api.post("/api/v1/auth/register", { body: { email: "x", password: "y" } }).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe("Validation failed");
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.requestId).toBe("req-err");
    expect(err.fieldErrors).toEqual({ email: "not an email address", password: "too short; needs a digit" });
  });

  it("reports the gateway's own errors and unreachable servers", async () => {
    const gw = scriptedFetch(() => new Response(JSON.stringify({ message: "Not Found" }), { status: 404 }));
    await expect(createApiClient({ session: session(), fetch: gw.fn }).get("/api/v1/sites")).rejects.toMatchObject({
      message: "Not Found",
      status: 404,
    });
    const down = scriptedFetch(() => {
      throw new TypeError("fetch failed");
    });
    await expect(createApiClient({ session: session(), fetch: down.fn }).get("/api/v1/sites")).rejects.toMatchObject({
      code: "NETWORK_ERROR",
      status: 0,
    });
  });

  it("keeps the session when the refresh cannot reach the server or is rate limited", async () => {
    for (const answer of [() => { throw new TypeError("fetch failed"); }, () => failure(429, "Too many requests", "RATE_LIMITED")]) {
      const s = session();
      const { fn } = scriptedFetch((c) => (c.url === REFRESH ? answer() : failure(401, "Token expired", "UNAUTHORIZED")));
      const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf() });
      await expect(api.get("/api/v1/auth/me")).rejects.toBeInstanceOf(ApiError);
      expect(s.expired).not.toHaveBeenCalled();
      expect(s.tokens.access).toBe("access-1");
    }
  });

  it("asks for cookie mode on auth calls only, and sends the CSRF token with them", async () => {
    const { fn, calls } = scriptedFetch(() => envelope({}));
    const api = createApiClient({ session: session(null), fetch: fn, csrfToken: csrf("csrf-7") });
    await api.post("/api/v1/auth/login", { body: { email: "a@b.c", password: "x" } });
    await api.post("/api/v1/auth/logout");
    await api.get("/api/v1/sites");
    expect(calls[0].headers["x-session-mode"]).toBe("cookie");
    expect(calls[1].headers).toMatchObject({ "x-session-mode": "cookie", "x-csrf-token": "csrf-7" });
    expect(calls[2].headers["x-session-mode"]).toBeUndefined();
    expect(calls[2].headers["x-csrf-token"]).toBeUndefined();
  });

  it("with no session cookie a 401 ends the session without trying a refresh", async () => {
    const s = session("access-1");
    const { fn, calls } = scriptedFetch(() => failure(401, "Token expired", "UNAUTHORIZED"));
    const api = createApiClient({ session: s, fetch: fn, csrfToken: csrf(null) });
    await expect(api.get("/api/v1/sites")).rejects.toMatchObject({ status: 401 });
    expect(calls.map((c) => c.url)).toEqual(["/api/v1/sites"]);
    expect(s.expired).toHaveBeenCalledTimes(1);
  });

  it("restore: one cookie refresh on load; true with a new access token, false otherwise, never throws", async () => {
    const ok = session(null);
    const good = scriptedFetch(() => envelope(pair(3)));
    expect(await createApiClient({ session: ok, fetch: good.fn, csrfToken: csrf() }).restore()).toBe(true);
    expect(ok.tokens.access).toBe("access-3");
    expect(good.calls.map((c) => [c.url, c.headers["x-csrf-token"]])).toEqual([[REFRESH, "csrf-1"]]);

    const none = scriptedFetch(() => envelope(pair(3)));
    expect(await createApiClient({ session: session(null), fetch: none.fn, csrfToken: csrf(null) }).restore()).toBe(false);
    expect(none.calls).toHaveLength(0);

    const refused = scriptedFetch(() => failure(403, "CSRF", "CSRF_FAILED"));
    expect(await createApiClient({ session: session(null), fetch: refused.fn, csrfToken: csrf() }).restore()).toBe(false);
    const down = scriptedFetch(() => {
      throw new TypeError("fetch failed");
    });
    expect(await createApiClient({ session: session(null), fetch: down.fn, csrfToken: csrf() }).restore()).toBe(false);
  });

  it("reads the CSRF cookie from the cookie jar", () => {
    expect(readCookie("igny8_csrf", "a=1; igny8_csrf=abc%3D; b=2")).toBe("abc=");
    expect(readCookie("igny8_csrf", "igny8_csrf_x=1; x_igny8_csrf=2")).toBeNull();
    expect(readCookie("igny8_csrf", "igny8_csrf=")).toBeNull();
  });
});
