import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error the gateway answers with: code → HTTP status and problem title (docs/errors.md). */
export const ERRORS = {
  invalid_request: { status: 400, title: "Invalid request" },
  missing_key: { status: 401, title: "Missing API key" },
  invalid_key: { status: 401, title: "Invalid API key" },
  expired_key: { status: 401, title: "Expired API key" },
  revoked_key: { status: 401, title: "Revoked API key" },
  disabled_key: { status: 401, title: "Disabled API key" },
  insufficient_scope: { status: 403, title: "Insufficient scope" },
  ip_not_allowed: { status: 403, title: "IP address not allowed" },
  not_found: { status: 404, title: "Not found" },
  no_route: { status: 404, title: "No route" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  rate_limited: { status: 429, title: "Rate limit exceeded" },
  quota_exceeded: { status: 429, title: "Quota exceeded" },
  internal_error: { status: 500, title: "Internal error" },
  upstream_unreachable: { status: 502, title: "Upstream unreachable" },
  limiter_unavailable: { status: 503, title: "Rate limiter unavailable" },
  gateway_misconfigured: { status: 503, title: "Gateway misconfigured" },
  key_store_unavailable: { status: 503, title: "Key store unavailable" },
  upstream_timeout: { status: 504, title: "Upstream timeout" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

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
