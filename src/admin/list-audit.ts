// GET /_gateway/admin/audit: the audit log, newest first, filtered by key, operator, identity or action, with names resolved
// (docs/operators.md § Audit log).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { auditNames, listAuditRows } from "../keys/store";
import { AuditActionSchema } from "./audit";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { nextCursor, pageCursor, pageLimit } from "./params";
import { redactedUrl, seesWebhookSecrets } from "./webhook-object";

/** A webhook entry's `changes` with its URL's query string redacted (docs/webhooks.md). */
function withRedactedUrl(action: string, changes: Record<string, unknown>): Record<string, unknown> {
  if (!action.startsWith("webhook.") || typeof changes.url !== "string") return changes;
  return { ...changes, url: redactedUrl(changes.url) };
}

export const AuditEntrySchema = z
  .object({
    at: z.string().openapi({ example: "2027-01-01T12:00:00.000Z" }),
    action: AuditActionSchema,
    keyId: z.string().nullable().openapi({ description: "The key written; null for writes to operator tokens." }),
    keyName: z.string().nullable().openapi({ description: "That key's name now; null without a key." }),
    actor: z.string().openapi({
      description:
        "Who made the write: the operator token's id, `admin` for ADMIN_TOKEN, or `customer:<identityId>` for a customer in the portal.",
      example: "admin",
    }),
    actorName: z.string().nullable().openapi({
      description: "The operator token's name when `actor` is one (also after its revocation); null for `admin` and customers.",
    }),
    changes: z.record(z.string(), z.unknown()).openapi({
      description: "Changed fields and their new values. Never a key, secret or hash.",
      example: { enabled: false },
    }),
  })
  .openapi("AuditEntry");

export const listAuditRoute = createRoute({
  method: "get",
  path: "/admin/audit",
  operationId: "listAudit",
  tags: ["Audit"],
  summary: "The audit log",
  description:
    "Every admin write, newest first, with the operator who made it. Each entry is stored in the same transaction as the write it records.",
  ...requireScope("keys:read"),
  request: {
    query: z.object({
      keyId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({ param: { name: "keyId", in: "query" }, description: "Only this key's entries." }),
      actor: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({
          param: { name: "actor", in: "query" },
          description: "Only writes by this operator token id, `admin`, or `customer:<identityId>` (a customer in the portal).",
        }),
      identityId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({
          param: { name: "identityId", in: "query" },
          description: "Only writes to this identity and keys put into it (entries whose `changes.identityId` is it).",
        }),
      action: AuditActionSchema.optional().openapi({ param: { name: "action", in: "query" }, description: "Only entries of this action." }),
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
  const { keyId, actor, identityId, action, limit, cursor } = c.req.valid("query");
  const db = database(c.env.DB);
  const page = await listAuditRows(db, {
    limit,
    ...(keyId !== undefined && { keyId }),
    ...(actor !== undefined && { actor }),
    ...(identityId !== undefined && { identityId }),
    ...(action !== undefined && { action }),
    ...(cursor !== undefined && { beforeSeq: decodeCursor(cursor, "number") }),
  });
  const names = await auditNames(
    db,
    [...new Set(page.rows.flatMap((row) => (row.keyId ? [row.keyId] : [])))],
    [...new Set(page.rows.map((row) => row.actor).filter((id) => id !== "admin" && !id.startsWith("customer:")))],
  );
  const redactWebhookUrl = !seesWebhookSecrets(c);
  return c.json(
    {
      items: page.rows.map((row) => ({
        at: new Date(row.at).toISOString(),
        action: row.action,
        keyId: row.keyId,
        keyName: row.keyId ? (names.keys.get(row.keyId) ?? null) : null,
        actor: row.actor,
        actorName: names.operators.get(row.actor) ?? null,
        changes: redactWebhookUrl ? withRedactedUrl(row.action, row.changes) : row.changes,
      })),
      nextCursor: page.lastSeq === undefined ? null : encodeCursor(page.lastSeq),
    },
    200,
  );
};
