// The one table of error codes (status, title, meaning; docs/errors.md) and `GatewayError`, which code anywhere on the
// request path throws; src/http/problem.ts renders it as problem+json.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error the gateway answers with: code → HTTP status, problem title, and what it means to a caller (docs/errors.md; the docs page's error table, where each problem `type` points). */
export const ERRORS = {
  invalid_request: {
    status: 400,
    title: "Invalid request",
    help: "The request is malformed; `detail` names each bad field (or the unsafe path).",
  },
  missing_key: { status: 401, title: "Missing API key", help: "No API key (or admin token) was presented where one is required." },
  invalid_key: {
    status: 401,
    title: "Invalid API key",
    help: "The key is malformed, fails its checksum or is not known.",
  },
  expired_key: { status: 401, title: "Expired API key", help: "The key, or this secret of a rotated key, has passed its expiry." },
  revoked_key: { status: 401, title: "Revoked API key", help: "The key was revoked. Revocation is permanent: create a new key." },
  disabled_key: { status: 401, title: "Disabled API key", help: "The key is disabled; an operator can enable it again." },
  invalid_token: { status: 401, title: "Invalid admin token", help: "The admin or operator token is wrong, malformed or revoked." },
  session_required: {
    status: 401,
    title: "Session required",
    help: "A customers' portal call without a portal session, or with one that has expired or was ended: sign in at /_gateway/portal/login.",
  },
  insufficient_scope: {
    status: 403,
    title: "Insufficient scope",
    help: "The key lacks a scope the route requires, or the operator token a scope the admin call requires (`detail` names them); or the route does not serve service worker scripts.",
  },
  ip_not_allowed: { status: 403, title: "IP address not allowed", help: "The client IP is not in the key's IP allowlist." },
  cross_site_request: {
    status: 403,
    title: "Cross-site request",
    help: "A customers' portal write whose `Origin` is missing or not the portal's own origin: only the portal's own page may write.",
  },
  not_found: { status: 404, title: "Not found", help: "No key (or other admin resource) has that id." },
  no_route: { status: 404, title: "No route", help: "No configured route matches the path." },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    help: "The route does not allow this method; `Allow` lists those it does.",
  },
  request_timeout: {
    status: 408,
    title: "Request timeout",
    help: "The client stopped sending its request body: no bytes for `CLIENT_BODY_TIMEOUT_MS`. Nothing is blamed on the upstream.",
  },
  conflict: {
    status: 409,
    title: "Conflict",
    help: "The call conflicts with the resource's state, e.g. rotating a revoked key, deleting an identity that still has keys, or a taken `externalId`; `detail` says how.",
  },
  payload_too_large: {
    status: 413,
    title: "Payload too large",
    help: "The request body exceeds the route's `maxBodyBytes`, or the admin API's cap (64 KiB; 8 MiB for an import).",
  },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported media type",
    help: "The request has a body that is not JSON: send it with `Content-Type: application/json`.",
  },
  rate_limited: {
    status: 429,
    title: "Rate limit exceeded",
    help: "A rate limit is exhausted (or too many wrong admin tokens, or unknown API keys, came from this address); retry after `Retry-After` seconds. `RateLimit` names the policy.",
  },
  quota_exceeded: {
    status: 429,
    title: "Quota exceeded",
    help: "The key's quota for the UTC day or month (or in total) is used up; `Retry-After` gives the seconds to the period's end.",
  },
  internal_error: { status: 500, title: "Internal error", help: "The gateway failed unexpectedly; quote `requestId` when reporting it." },
  upstream_unreachable: { status: 502, title: "Upstream unreachable", help: "The upstream could not be connected to." },
  limiter_unavailable: {
    status: 503,
    title: "Rate limiter unavailable",
    help: "The key's Durable Object could not be reached and the route fails closed; or an admin change was stored but not yet enforced (retry it).",
  },
  gateway_misconfigured: {
    status: 503,
    title: "Gateway misconfigured",
    help: "The gateway's configuration is invalid (`detail` names the field) or ADMIN_TOKEN is unset.",
  },
  key_store_unavailable: {
    status: 503,
    title: "Key store unavailable",
    help: "D1 could not be reached to verify a key this location has not seen recently; retry shortly.",
  },
  upstream_timeout: {
    status: 504,
    title: "Upstream timeout",
    help: "The upstream did not answer within the route's `timeoutMs`, counted from the end of the request body.",
  },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string; help: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Thrown anywhere on the request path; `renderProblem` turns it into problem+json. */
export class GatewayError extends HTTPException {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: string, options: GatewayErrorOptions = {}) {
    const { status, title } = ERRORS[code];
    super(status, { message: detail ?? title, cause: options.cause });
    this.code = code;
    this.detail = detail ?? title;
    this.headers = options.headers ?? {};
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The problem `type` points at the error's entry in the gateway's own API reference. */
export function problemType(code: ErrorCode): string {
  return `/_gateway/docs#error-${code}`;
}

export function problemResponse(code: ErrorCode, detail: string, requestId: string, headers: Record<string, string> = {}): Response {
  const { status, title } = ERRORS[code];
  const body = JSON.stringify({ type: problemType(code), title, status, detail, code, requestId });
  return new Response(body, {
    status,
    headers: { ...headers, "content-type": PROBLEM_CONTENT_TYPE, "x-request-id": requestId },
  });
}
