// POST /_gateway/admin/keys/{id}/rotate: a new secret for the same key, the old ones expiring after a grace period
// (docs/keys.md § Rotate a key); `rotateSecret()` is shared with the portal's roll.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import type { KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, notFoundError, problem } from "../gateway/schemas";
import { hashKey, KEY_PREFIX_PATTERN, newId, parseKey } from "../keys/format";
import { generateKeyFor, keyLocator } from "../keys/locator";
import { getKeyRow, getSecrets, rotateKeySecret } from "../keys/store";
import { webhookEvent } from "../webhooks/events";
import { publishAfterWrite } from "../webhooks/publish";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { CreatedKeySchema, type KeyObject, toKeyObject } from "./key-object";
import { KeyIdParam } from "./params";
import { handOverSecret, publishKeyStatus } from "./publish";

const MAX_GRACE_SECONDS = 30 * 24 * 3600;

export const RotateKeyBody = z
  .object({
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .optional()
      .openapi({ description: "How long the old secret keeps working: 0 ends it now (default), at most 30 days.", example: 3600 }),
  })
  .strict()
  .openapi("RotateKey");

export const rotateKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys/{id}/rotate",
  operationId: "rotateKey",
  tags: ["Keys"],
  summary: "Rotate a key's secret",
  description:
    "Issues a new secret for the same key id (limits, quota and usage carry over) and lets the old secrets expire after the grace period. The new plaintext is in this response only.",
  ...requireScope("keys:write"),
  request: { params: KeyIdParam, body: { required: false, content: { "application/json": { schema: RotateKeyBody } } } },
  responses: {
    201: { description: "The key with its new secret", content: { "application/json": { schema: CreatedKeySchema } } },
    ...notFoundError,
    409: problem("The key is revoked: a revoked key cannot be rotated."),
    ...adminErrors,
    ...bodyErrors,
  },
});

export const rotateKey: RouteHandler<typeof rotateKeyRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const grace = c.req.valid("json")?.gracePeriodSeconds ?? 0;
  const current = await getKeyRow(database(c.env.DB), id);
  if (!current) throw new GatewayError("not_found", `No key with id ${id}.`);
  return c.json(await rotateSecret(c, current, grace, auditActor(c)), 201);
};

/**
 * Issues a new secret for the key and lets its older secrets expire `graceSeconds` from now,
 * audited for `actor`, told to the key's object (with the new secret's rows) and announced (`key.rotated`); the admin rotate
 * and the portal's roll share it. A revoked key is `409 conflict`.
 */
export async function rotateSecret<E extends GatewayEnv>(
  c: Context<E>,
  current: KeyRow,
  graceSeconds: number,
  actor: string,
): Promise<KeyObject & { key: string }> {
  const id = current.id;
  if (current.revokedAt !== null) throw new GatewayError("conflict", `Key ${id} is revoked; create a new key instead.`);
  const db = database(c.env.DB);
  const now = Date.now();
  // An imported key's prefix may not fit the gateway's format: its new secret then takes the default one.
  // The new secret names the object deciding for the key now (docs/rate-limits.md "One round trip for a cold key").
  const plaintext = generateKeyFor(KEY_PREFIX_PATTERN.test(current.prefix) ? current.prefix : c.get("config").keyPrefix, current);
  const parsed = parseKey(plaintext)!;
  const secret: KeySecretRow = {
    id: newId("sec"),
    keyId: id,
    hash: hashKey(plaintext),
    start: parsed.start,
    createdAt: now,
    expiresAt: null,
  };
  const oldExpiresAt = now + graceSeconds * 1000;
  const audit = auditEntry(
    "key.rotate",
    id,
    { start: secret.start, gracePeriodSeconds: graceSeconds, previousSecretsExpireAt: new Date(oldExpiresAt).toISOString() },
    now,
    actor,
  );
  const key = await rotateKeySecret(db, id, secret, oldExpiresAt, now, audit);
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  const secrets = await getSecrets(db, id);
  await publishKeyStatus(c, key, secrets);
  // After the status: the object keeps the new secret's rows only if it knows no newer version of the key.
  await handOverSecret(c, secret.hash, keyLocator(parsed.body));
  const data = {
    keyId: id,
    name: key.name,
    owner: key.owner,
    start: secret.start,
    previousSecretsExpireAt: new Date(oldExpiresAt).toISOString(),
  };
  await publishAfterWrite(c.env, webhookEvent("key.rotated", data, now));
  return { key: plaintext, ...toKeyObject(key, secrets) };
}
