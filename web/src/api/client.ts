// The one API client: typed from the OpenAPI document (`schema.d.ts`, generated
// by openapi-typescript), with the access token injected, exactly one
// refresh-and-retry on a 401, and the error envelope turned into an ApiError.
//
// Cookie-mode sessions: every auth call says `X-Session-Mode: cookie`, so the
// refresh token lives only in an HttpOnly cookie the browser sends to
// /api/v1/auth (script never sees it). The client holds no tokens itself: a
// `Session` (the auth store, wired in `api/index.ts`) keeps the access token in
// memory and hears about new ones. A refresh sends the readable CSRF cookie's
// value back in `X-CSRF-Token` (double submit, checked by the server).
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Method = "get" | "post" | "put" | "patch" | "delete";

/** Paths that have an operation for `M`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never;
}[keyof paths];

type Op<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;

type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? (undefined extends Q ? NonNullable<Q> : Q) : never;
type PathOf<O> = O extends { parameters: { path: infer T } } ? T : never;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** The `data` of the operation's success responses (200, 201, 202). */
export type DataOf<P extends keyof paths, M extends Method> =
  Op<P, M> extends { responses: infer R }
    ? {
        [S in keyof R]: S extends 200 | 201 | 202
          ? R[S] extends { content: { "application/json": { data: infer D } } }
            ? D
            : never
          : never;
      }[keyof R]
    : never;

export interface RequestOptions<P extends keyof paths, M extends Method> {
  query?: QueryOf<Op<P, M>>;
  path?: PathOf<Op<P, M>>;
  /** JSON body (typed from the operation). */
  body?: BodyOf<Op<P, M>>;
  /** A body sent as is (a multipart upload, a raw file). */
  rawBody?: BodyInit;
  signal?: AbortSignal;
}

export interface Result<D> {
  data: D;
  status: number;
  message: string | null;
  requestId: string;
}

export type FieldErrors = Record<string, string>;

/** A failed call: the envelope's `error`, `error_code` and field `errors`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldErrors: FieldErrors;
  readonly requestId: string | null;

  constructor(message: string, status: number, code: string, fieldErrors: FieldErrors = {}, requestId: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
    this.requestId = requestId;
  }
}

/** Where the client reads the access token and reports what happened to the session. */
export interface Session {
  access(): string | null;
  /** A refresh succeeded: keep the new access token. */
  refreshed(tokens: Schemas["TokenPair"]): void;
  /** The refresh was refused (or there is no session cookie): the session is over. */
  expired(): void;
}

export interface ClientConfig {
  baseUrl?: string;
  session: Session;
  fetch?: typeof fetch;
  /** The CSRF cookie's value (default: read from `document.cookie`). */
  csrfToken?: () => string | null;
}

export const CSRF_COOKIE = "igny8_csrf";
const AUTH_PREFIX = "/api/v1/auth/";
const REFRESH_PATH = "/api/v1/auth/refresh";
const LOGOUT_PATH = "/api/v1/auth/logout";

/** The value of a cookie readable by script (`null` when absent). */
export function readCookie(name: string, jar: string = typeof document === "undefined" ? "" : document.cookie): string | null {
  for (const part of jar.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return v ? decodeURIComponent(v) : null;
    }
  }
  return null;
}
/** Calls that answer 401 for a wrong password, not for an expired token. */
const NO_REFRESH = new Set<string>(["/api/v1/auth/login", "/api/v1/auth/register", REFRESH_PATH]);

function buildUrl(base: string, template: string, path?: Record<string, unknown>, query?: Record<string, unknown>): string {
  let url = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = path?.[name];
    if (v === undefined || v === null) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    qs.set(k, String(v));
  }
  const q = qs.toString();
  url = base + url + (q ? `?${q}` : "");
  return url;
}

async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const b = (body ?? {}) as Partial<Schemas["ErrorEnvelope"]> & { message?: string };
  const fields: FieldErrors = {};
  for (const e of b.errors ?? []) {
    fields[e.field] = fields[e.field] ? `${fields[e.field]}; ${e.message}` : e.message;
  }
  const message = b.error ?? b.message ?? `The server answered ${res.status} ${res.statusText}`.trim();
  return new ApiError(message, res.status, b.error_code ?? `HTTP_${res.status}`, fields, b.request_id ?? res.headers.get("x-request-id"));
}

export function createApiClient(config: ClientConfig) {
  const base = config.baseUrl ?? "";
  const doFetch = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const { session } = config;
  const csrfToken = config.csrfToken ?? (() => readCookie(CSRF_COOKIE));
  // Concurrent 401s share one refresh: a refresh token works exactly once.
  let refreshing: Promise<boolean> | null = null;

  async function send(
    method: Method,
    url: string,
    opts: RequestOptions<never, never> & { body?: unknown },
    token: string | null,
    extra: Record<string, string> = {},
  ) {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    let body: BodyInit | undefined;
    if (opts.rawBody !== undefined) {
      body = opts.rawBody;
    } else if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      // Same origin (the app and /api/* share it): the browser sends the session cookies.
      return await doFetch(url, { method: method.toUpperCase(), headers, body, signal: opts.signal, credentials: "same-origin" });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError("The server could not be reached. Check your connection and try again.", 0, "NETWORK_ERROR");
    }
  }

  /** The headers of a cookie-session call (`X-CSRF-Token` when there is one). */
  function cookieHeaders(): Record<string, string> {
    const csrf = csrfToken();
    return csrf ? { "x-session-mode": "cookie", "x-csrf-token": csrf } : { "x-session-mode": "cookie" };
  }

  /** True when a new access token came back, false when the refresh was
   * refused or there is no session cookie; an unreachable server throws (the
   * session is kept: it may still be valid). */
  async function refresh(): Promise<boolean> {
    // No CSRF cookie: no cookie session to refresh (it expired or never was).
    if (!csrfToken()) return false;
    const res = await send("post", base + REFRESH_PATH, {} as never, null, cookieHeaders());
    if (!res.ok) {
      // A 429 or 5xx says nothing about the token: report it, keep the session.
      if (res.status === 429 || res.status >= 500) throw await parseError(res);
      return false;
    }
    const env = (await res.json()) as { data: Schemas["TokenPair"] };
    session.refreshed(env.data);
    return true;
  }

  /** One refresh at a time, shared by every caller waiting on it. */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function request<M extends Method, P extends PathsWith<M>>(
    method: M,
    path: P,
    opts: RequestOptions<P, M> = {},
  ): Promise<Result<DataOf<P, M>>> {
    const url = buildUrl(base, path as string, opts.path as Record<string, unknown>, opts.query as Record<string, unknown>);
    const o = opts as never;
    const access = session.access();
    // Auth calls ask for cookie mode (and carry the CSRF token for logout).
    const extra = (path as string).startsWith(AUTH_PREFIX) ? cookieHeaders() : {};
    let res = await send(method, url, o, access, extra);
    if (res.status === 401 && !NO_REFRESH.has(path as string) && path !== LOGOUT_PATH && (access || csrfToken())) {
      if (await refreshOnce()) {
        res = await send(method, url, o, session.access(), extra);
      }
      if (res.status === 401) {
        session.expired();
        throw await parseError(res);
      }
    }
    if (!res.ok) throw await parseError(res);
    const text = await res.text();
    const env = text ? (JSON.parse(text) as { data: DataOf<P, M>; message?: string | null; request_id?: string }) : null;
    return {
      data: env?.data as DataOf<P, M>,
      status: res.status,
      message: env?.message ?? null,
      requestId: env?.request_id ?? res.headers.get("x-request-id") ?? "",
    };
  }

  /** On page load: one cookie refresh to restore the session (a reload keeps
   * the user signed in). True when it worked; never throws. */
  async function restore(): Promise<boolean> {
    try {
      return await refreshOnce();
    } catch {
      return false;
    }
  }

  return {
    request,
    restore,
    get: <P extends PathsWith<"get">>(path: P, opts?: RequestOptions<P, "get">) => request("get", path, opts),
    post: <P extends PathsWith<"post">>(path: P, opts?: RequestOptions<P, "post">) => request("post", path, opts),
    patch: <P extends PathsWith<"patch">>(path: P, opts?: RequestOptions<P, "patch">) => request("patch", path, opts),
    delete: <P extends PathsWith<"delete">>(path: P, opts?: RequestOptions<P, "delete">) => request("delete", path, opts),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
