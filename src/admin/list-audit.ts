import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors, adminSecurity } from "../gateway/schemas";
import { listAuditRows } from "../keys/store";
import { decodeCursor, encodeCursor } from "./cursor";
import { nextCursor, pageCursor, pageLimit } from "./params";

export const AuditEntrySchema = z
  .object({
    at: z.string().openapi({ example: "2027-01-01T12:00:00.000Z" }),
    action: z.enum(["key.create", "key.update", "key.revoke", "key.rotate"]),
    keyId: z.string(),
    changes: z.record(z.string(), z.unknown()).openapi({
      description: "Changed fields and their new values. Never a key, secret or hash.",
      example: { enabled: false },
    }),
  })
  .openapi("AuditEntry");

export const listAuditRoute = createRoute({
  method: "get",
  path: "/admin/audit",
  tags: ["Audit"],
  summary: "The audit log",
  description: "Every admin write, newest first. Each entry is stored in the same transaction as the write it records.",
  security: adminSecurity,
  request: {
    query: z.object({
      keyId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({ param: { name: "keyId", in: "query" }, description: "Only this key's entries." }),
      limit: pageLimit,
      cursor: pageCursor,
    }),
  },
  responses: {
    200: {
      description: "A page of audit entries",
      content: { "application/json": { schema: z.object({ items: z.array(AuditEntrySchema), nextCursor }).openapi("AuditPage") } },
    },
    ...adminErrors,
  },
});

export const listAudit: RouteHandler<typeof listAuditRoute, GatewayEnv> = async (c) => {
  const { keyId, limit, cursor } = c.req.valid("query");
  const page = await listAuditRows(database(c.env.DB), {
    limit,
    ...(keyId !== undefined && { keyId }),
    ...(cursor !== undefined && { beforeSeq: decodeCursor(cursor, "number") }),
  });
  return c.json(
    {
      items: page.rows.map((row) => ({ at: new Date(row.at).toISOString(), action: row.action, keyId: row.keyId, changes: row.changes })),
      nextCursor: page.lastSeq === undefined ? null : encodeCursor(page.lastSeq),
    },
    200,
  );
};
