// A scripted fetch for tests: each call is recorded and answered by `route`.
import { vi } from "vitest";

export interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
  /** Every request header (lower-case names). */
  headers: Record<string, string>;
  credentials: RequestCredentials | undefined;
}

export function envelope(data: unknown, status = 200): Response {
  return new Response(JSON.stringify({ success: true, data, message: null, request_id: "req-ok", timestamp: "2026-12-02T00:00:00Z" }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export function failure(status: number, error: string, error_code: string, errors?: { field: string; message: string }[]): Response {
  return new Response(
    JSON.stringify({ success: false, error, error_code, errors, request_id: "req-err", timestamp: "2026-12-02T00:00:00Z" }),
    { status, headers: { "content-type": "application/json" } },
  );
}

export function scriptedFetch(route: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    let body: unknown = init?.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        /* raw */
      }
    }
    const call = {
      method: init?.method ?? "GET",
      url: String(input),
      auth: headers.authorization ?? null,
      body,
      headers,
      credentials: init?.credentials,
    };
    calls.push(call);
    return route(call);
  });
  return { fn, calls };
}

/** Installs a scripted fetch as the global one (the app's client uses it). */
export function stubFetch(route: (call: Call) => Response | Promise<Response>) {
  const s = scriptedFetch(route);
  vi.stubGlobal("fetch", s.fn);
  return s;
}

/** A token pair as cookie mode returns it: no `refresh` (that is the HttpOnly cookie). */
export const pair = (n: number) => ({
  access: `access-${n}`,
  expires_in: 3600,
  refresh_expires_in: 604800,
  token_type: "Bearer",
});

/** The readable CSRF cookie a cookie-mode sign-in leaves (jsdom's cookie jar). */
export function setCsrfCookie(value = "csrf-1") {
  document.cookie = `igny8_csrf=${value}; path=/`;
}

export function clearCookies() {
  document.cookie = "igny8_csrf=; max-age=0; path=/";
}
