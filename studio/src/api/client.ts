// The typed API client: openapi-fetch over the generated `paths`, with the signed-in user's
// bearer token, and every error turned into an ApiError carrying the server's {"error": {...}}.
//
//   import { api, unwrap } from "../api/client";
//   const workspaces = await unwrap(api.GET("/api/v1/workspaces", { params: { query: { subscriptionId } } }));
//
// A 401 anywhere clears the token and sends the browser to /signin (see onUnauthorized).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type { paths };

const TOKEN_KEY = "mlyard.token";

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** The server's error body, as every route answers a 4xx/5xx: {"error": {"code", "message", "target"}}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | null;

  constructor(status: number, code: string, message: string, target: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.target = target;
  }

  static from(status: number, body: unknown): ApiError {
    const err = (body as { error?: { code?: unknown; message?: unknown; target?: unknown } } | null)?.error;
    if (err && typeof err.code === "string" && typeof err.message === "string") {
      return new ApiError(status, err.code, err.message, typeof err.target === "string" ? err.target : null);
    }
    return new ApiError(status, `Http${status}`, `The server answered ${status}.`);
  }
}

let unauthorizedHandler: () => void = () => {
  if (window.location.pathname !== "/signin") {
    const next = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(`/signin?next=${next}`);
  }
};

/** Replace what a 401 does (tests; the app keeps the default: back to /signin). */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    // The sign-in call itself answers 401 for a wrong password: that is an error to show, not a redirect.
    if (response.status === 401 && !request.url.endsWith("/api/v1/auth/login")) {
      setToken(null);
      unauthorizedHandler();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: typeof window === "undefined" ? "" : window.location.origin });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of an openapi-fetch call, or an ApiError thrown with the server's code and message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (e) {
    throw new ApiError(0, "NetworkError", `The server could not be reached: ${(e as Error).message}`);
  }
  if (!result.response.ok) throw ApiError.from(result.response.status, result.error);
  return result.data as T;
}

/** Scope paths as the server spells them (Azure's resource ids). */
export function workspaceScope(sub: string, rg: string, ws: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/workspaces/${ws}`;
}
