// GET /admin/keys/import-prefixes: the key shapes imports registered (docs/keys.md § Import).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { importPrefixRows } from "../keys/import-store";
import { requireScope } from "./auth";

export const ImportPrefixSchema = z
  .object({
    prefix: z.string().openapi({ description: "What the keys carry before their `_`.", example: "sk_live" }),
    createdAt: z.string().datetime().openapi({ description: "When an import first registered it." }),
  })
  .openapi("ImportPrefix");

export const listImportPrefixesRoute = createRoute({
  method: "get",
  path: "/admin/keys/import-prefixes",
  operationId: "listImportPrefixes",
  tags: ["Keys"],
  summary: "List registered import prefixes",
  description: "Every key shape an import registered: a presented key of one of these shapes is looked up.",
  ...requireScope("keys:read"),
  responses: {
    200: {
      description: "Every registration, oldest first",
      content: { "application/json": { schema: z.object({ items: z.array(ImportPrefixSchema) }).openapi("ImportPrefixList") } },
    },
    ...adminErrors,
  },
});

export const listImportPrefixes: RouteHandler<typeof listImportPrefixesRoute, GatewayEnv> = async (c) => {
  const rows = await importPrefixRows(database(c.env.DB));
  return c.json({ items: rows.map((row) => ({ prefix: row.prefix, createdAt: new Date(row.createdAt).toISOString() })) }, 200);
};
