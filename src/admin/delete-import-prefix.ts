// DELETE /admin/keys/import-prefixes/{prefix}: keys of that shape are no longer looked up (docs/keys.md § Import).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { forgetImportPrefix, IMPORT_PREFIXES_REFRESH_MS } from "../keys/import-prefixes";
import { deleteImportPrefix } from "../keys/import-store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";

export const deleteImportPrefixRoute = createRoute({
  method: "delete",
  path: "/admin/keys/import-prefixes/{prefix}",
  operationId: "deleteImportPrefix",
  tags: ["Keys"],
  summary: "Remove an import prefix",
  description: `Keys of this shape are no longer looked up: refused with 401 invalid_key (and no longer removed from proxied requests' credential locations) at once in the isolate that served the call, everywhere within ${IMPORT_PREFIXES_REFRESH_MS / 1000} s. The keys themselves stay; importing again registers the prefix again.`,
  ...requireScope("keys:write"),
  request: {
    params: z.object({
      prefix: z
        .string()
        .max(32)
        .openapi({ param: { name: "prefix", in: "path" }, example: "sk_live" }),
    }),
  },
  responses: { 204: { description: "Removed" }, ...notFoundError, ...adminErrors },
});

export const deleteImportPrefixHandler: RouteHandler<typeof deleteImportPrefixRoute, GatewayEnv> = async (c) => {
  const { prefix } = c.req.valid("param");
  const audit = auditEntry("key.import_prefix.delete", null, { prefix }, Date.now(), auditActor(c));
  if (!(await deleteImportPrefix(database(c.env.DB), prefix, audit))) throw new GatewayError("not_found", `No import prefix ${prefix}.`);
  forgetImportPrefix(prefix);
  return c.body(null, 204);
};
