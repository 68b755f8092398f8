// DELETE /_gateway/admin/keys/{id}: revokes a key everywhere within `LEASE_TTL_MS`, keeping its row (docs/keys.md § Revoke a key);
// `revokeAndPublish()` is shared with the portal and leak reports.
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import type { KeyRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { getKeyRow, getSecrets, revokeKeyRow } from "../keys/store";
import { webhookEvent } from "../webhooks/events";
import { publishAfterWrite } from "../webhooks/publish";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { KeyIdParam } from "./params";
import { publishKeyStatus } from "./publish";

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/admin/keys/{id}",
  operationId: "revokeKey",
  tags: ["Keys"],
  summary: "Revoke a key",
  description: "The key is refused from the next request on, in every location; its row is kept. Revoking twice is harmless.",
  ...requireScope("keys:write"),
  request: { params: KeyIdParam },
  responses: {
    204: { description: "Revoked" },
    ...notFoundError,
    ...adminErrors,
  },
});

export const revokeKey: RouteHandler<typeof revokeKeyRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const current = await getKeyRow(database(c.env.DB), id);
  if (!current) throw new GatewayError("not_found", `No key with id ${id}.`);
  await revokeAndPublish(c, current, auditActor(c));
  return c.body(null, 204);
};

/**
 * Revokes the key, audited for `actor`, tells its object (so it is refused everywhere within
 * `LEASE_TTL_MS`) and announces `key.revoked`; the admin revoke and the portal's share it.
 */
export async function revokeAndPublish<E extends GatewayEnv>(
  c: Context<E>,
  current: KeyRow,
  actor: string,
  /** Why, when not an operator's call: recorded with the audit entry (a leak report's URL). */
  reason: Record<string, string> = {},
): Promise<void> {
  const id = current.id;
  const db = database(c.env.DB);
  const now = Date.now();
  const audit = auditEntry("key.revoke", id, { revokedAt: new Date(now).toISOString(), ...reason }, now, actor);
  const key = await revokeKeyRow(db, current, now, audit);
  // Published even when it was already revoked: a retry after a failed publish must still reach the object.
  await publishKeyStatus(c, key, await getSecrets(db, id));
  if (current.revokedAt === null) {
    const data = { keyId: id, name: key.name, owner: key.owner, revokedAt: new Date(now).toISOString() };
    await publishAfterWrite(c.env, webhookEvent("key.revoked", data, now));
  }
}
