// The request id every response and the upstream carry (docs/errors.md): the client's own X-Request-Id when it is short
// and plain, else a new UUID. hono/request-id's rules, minus its per-request `Headers` and promise on the proxy path.
import { createMiddleware } from "hono/factory";
import type { RequestIdVariables } from "hono/request-id";

/** A client's id longer than this, or with other characters than these, is replaced. */
const MAX_LENGTH = 128;
const NOT_PLAIN = /[^\w\-=]/;

/**
 * Sets `requestId`. `onContextResponses`: also put it on responses built with the context (`c.json`…), as the
 * gateway's own API answers; the proxy path sets it on each response it makes, so it skips the prepared headers.
 */
export function requestId({ onContextResponses }: { onContextResponses: boolean }) {
  return createMiddleware<{ Variables: RequestIdVariables }>(function requestId(c, next) {
    let id = c.req.raw.headers.get("x-request-id");
    if (!id || id.length > MAX_LENGTH || NOT_PLAIN.test(id)) id = crypto.randomUUID();
    c.set("requestId", id);
    if (onContextResponses) c.header("x-request-id", id);
    return next();
  });
}
