// The admin API's request body caps (docs/operators.md § Body size): 413 payload_too_large past them, before anything is parsed.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../errors";

/** An import's cap: 1,000 entries, each with metadata of up to 4 KiB and every other create field at its longest. */
export const IMPORT_BODY_MAX_BYTES = 8 * 1024 * 1024;
/** Every other admin body: one key, identity, plan or webhook, metadata of up to 4 KiB included, with room to spare. */
export const ADMIN_BODY_MAX_BYTES = 64 * 1024;

const tooLarge = (maxBytes: number) => () => {
  throw new GatewayError("payload_too_large", `Admin request bodies are limited to ${maxBytes} bytes here.`);
};

/** Caps admin (and /verify) bodies: IMPORT_BODY_MAX_BYTES on POST /admin/keys/import, ADMIN_BODY_MAX_BYTES elsewhere. */
export function adminBodyLimit(): MiddlewareHandler {
  const forImport = bodyLimit({ maxSize: IMPORT_BODY_MAX_BYTES, onError: tooLarge(IMPORT_BODY_MAX_BYTES) });
  const forOthers = bodyLimit({ maxSize: ADMIN_BODY_MAX_BYTES, onError: tooLarge(ADMIN_BODY_MAX_BYTES) });
  return createMiddleware(function adminBodyLimit(c, next) {
    return c.req.path.endsWith("/admin/keys/import") ? forImport(c, next) : forOthers(c, next);
  });
}
