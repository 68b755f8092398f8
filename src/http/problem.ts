// The one `onError` and not-found handler: every thrown error becomes problem+json with the request id, never a stack
// or exception text on a 5xx (docs/errors.md).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AnyStageEnv } from "../env";
import { type ErrorCode, GatewayError, problemResponse } from "../errors";
import { rateLimitHeaders } from "../ratelimit/decision";

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "invalid_key",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** What to do, where Hono's own message only names the status (the body validator's 415 says "Unsupported Media Type"). */
const STATUS_DETAILS: Partial<Record<number, string>> = {
  415: 'The body must be JSON: send it with "Content-Type: application/json".',
};

function requestIdOf(c: Context<AnyStageEnv>): string {
  return c.get("requestId") ?? crypto.randomUUID();
}

/** The one place errors become responses: problem+json, no stack or exception text on a 5xx. */
export function renderError(error: Error, c: Context<AnyStageEnv>): Response {
  const requestId = requestIdOf(c);
  let code: ErrorCode;
  let detail: string;
  const headers: Record<string, string> = {};
  if (error instanceof GatewayError) {
    code = error.code;
    detail = error.detail;
    Object.assign(headers, error.headers);
  } else if (error instanceof HTTPException) {
    const mapped = STATUS_CODES[error.status];
    // A status the error table has no code for: the exception's own response, as Hono would answer.
    if (!mapped) return withRequestId(error.getResponse(), requestId);
    code = mapped;
    detail = error.status >= 500 ? "" : (STATUS_DETAILS[error.status] ?? error.message);
    error.res?.headers.forEach((value, name) => {
      if (name !== "content-type" && name !== "content-length") headers[name] = value;
    });
  } else {
    console.error(`internal_error ${requestId}: ${error.stack ?? String(error)}`);
    code = "internal_error";
    detail = "";
  }
  if (error.cause && code !== "internal_error") console.warn(`${code} ${requestId}: ${String(error.cause)}`);
  if (code.endsWith("_key") && !headers["www-authenticate"]) {
    headers["www-authenticate"] = `api-key realm="${c.get("config")?.realm ?? "gateway"}"`;
  }
  const limits = c.get("limits");
  if (limits && !headers.ratelimit) Object.assign(headers, rateLimitHeaders(limits));
  return problemResponse(code, detail || "The gateway could not complete the request.", requestId, headers);
}

function withRequestId(response: Response, requestId: string): Response {
  response.headers.set("x-request-id", requestId);
  return response;
}

export function notFound(c: Context<AnyStageEnv>): Response {
  return problemResponse("no_route", `No route matches ${c.req.method} ${c.req.path}.`, requestIdOf(c));
}
