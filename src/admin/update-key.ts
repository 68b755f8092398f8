// PATCH /_gateway/admin/keys/{id}: changes any field of a key but its prefix, moves it into or out of an identity, and
// publishes the change (docs/keys.md § Change a key).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { KeyRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, notFoundError } from "../gateway/schemas";
import { identityStatus } from "../keys/record";
import { getKeyRow, getSecrets, type KeyChanges, updateKeyRow } from "../keys/store";
import { limiterClient } from "../ratelimit/client";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { namedIdentity } from "./identity-object";
import { KeyObjectSchema, toKeyObject, UpdateKeyBody, type UpdateKeyInput } from "./key-object";
import { KeyIdParam } from "./params";
import { publishKeyStatus } from "./publish";

export const updateKeyRoute = createRoute({
  method: "patch",
  path: "/admin/keys/{id}",
  operationId: "updateKey",
  tags: ["Keys"],
  summary: "Update a key",
  description:
    "Changes any field a create may set except `prefix`. Disabling, re-enabling and expiry changes apply from the next request, everywhere. `identityId: null` takes the key out of its identity.",
  ...requireScope("keys:write"),
  request: { params: KeyIdParam, body: { required: true, content: { "application/json": { schema: UpdateKeyBody } } } },
  responses: {
    200: { description: "The updated key", content: { "application/json": { schema: KeyObjectSchema } } },
    ...notFoundError,
    ...adminErrors,
    ...bodyErrors,
  },
});

/** The body as row values. */
function rowChanges(body: UpdateKeyInput): KeyChanges {
  const { expiresAt, ...rest } = body;
  const changes: KeyChanges = { ...rest };
  if (expiresAt !== undefined) changes.expiresAt = expiresAt === null ? null : Date.parse(expiresAt);
  return changes;
}

/** Only the fields whose value differs from the stored one. */
function differing(current: KeyRow, changes: KeyChanges): KeyChanges {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (JSON.stringify(current[field as keyof KeyRow] ?? null) !== JSON.stringify(value ?? null)) out[field] = value;
  }
  return out as KeyChanges;
}

/** Audit values as the key object shows them (times as ISO-8601). */
function auditedChanges(changes: KeyChanges): Record<string, unknown> {
  const out: Record<string, unknown> = { ...changes };
  if ("expiresAt" in changes) out.expiresAt = changes.expiresAt == null ? null : new Date(changes.expiresAt).toISOString();
  return out;
}

export const updateKey: RouteHandler<typeof updateKeyRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const current = await getKeyRow(db, id);
  if (!current) throw new GatewayError("not_found", `No key with id ${id}.`);
  const changes = differing(current, rowChanges(c.req.valid("json")));
  if (Object.keys(changes).length === 0) return c.json(toKeyObject(current, await getSecrets(db, id)), 200);
  const joined = changes.identityId ? await namedIdentity(db, changes.identityId) : undefined;

  const now = Date.now();
  const key = await updateKeyRow(db, id, changes, now, auditEntry("key.update", id, auditedChanges(changes), now, auditActor(c)));
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  // Deleted since it was checked above: the update's own statement refused the join.
  if (key === "identity_gone") throw new GatewayError("invalid_request", `identityId: no identity with id ${changes.identityId}`);
  const secrets = await getSecrets(db, id);
  await publishKeyStatus(c, key, secrets, current.identityId);
  // The identity's object knows the identity's status before the first request presents it.
  if (joined) await limiterClient(c).updateIdentity(identityStatus(joined.identity, joined.plan));
  return c.json(toKeyObject(key, secrets), 200);
};
