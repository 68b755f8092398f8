// POST /_gateway/admin/keys: creates a key and returns its plaintext once; the gateway keeps its SHA-256 (docs/keys.md § Create a key).
// `newKeyRow()` is shared with the import.
import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import type { KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors } from "../gateway/schemas";
import { hashKey, newId, parseKey } from "../keys/format";
import { generateKeyFor, keyLocator, newLocatedId } from "../keys/locator";
import { insertKey } from "../keys/store";
import { auditEntry, createdFields } from "./audit";
import { auditActor, requireScope } from "./auth";
import { namedIdentity } from "./identity-object";
import { CreatedKeySchema, CreateKeyBody, type KeyObject, toKeyObject } from "./key-object";
import { handOverSecret } from "./publish";

export const createKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys",
  operationId: "createKey",
  tags: ["Keys"],
  summary: "Create a key",
  description: "The plaintext key is in this response only; the gateway stores its SHA-256.",
  ...requireScope("keys:write"),
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedKeySchema } } },
    ...adminErrors,
    ...bodyErrors,
  },
});

export type NewKeyFields = Omit<z.infer<typeof CreateKeyBody>, "prefix">;

/** A new key's row from the fields a create (or an import) gives. */
export function newKeyRow(fields: NewKeyFields, prefix: string, now: number): KeyRow {
  return {
    id: newLocatedId("key"),
    name: fields.name,
    owner: fields.owner ?? null,
    prefix,
    scopes: fields.scopes ?? [],
    rateLimits: fields.rateLimits ?? [],
    routeRateLimits: fields.routeRateLimits ?? {},
    quota: fields.quota ?? null,
    ipAllowlist: fields.ipAllowlist ?? [],
    metadata: fields.metadata ?? {},
    enabled: fields.enabled ?? true,
    expiresAt: fields.expiresAt ? Date.parse(fields.expiresAt) : null,
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
    lastUsedAt: null,
    version: 1,
    identityId: fields.identityId ?? null,
  };
}

export const createKey: RouteHandler<typeof createKeyRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  if (body.identityId !== undefined) await namedIdentity(database(c.env.DB), body.identityId);
  return c.json(await insertNewKey(c, body, body.prefix ?? c.get("config").keyPrefix, auditActor(c)), 201);
};

/** Stores a new key with its first secret, audited for `actor`; the admin create and the portal's share it. */
export async function insertNewKey<E extends GatewayEnv>(
  c: Context<E>,
  fields: NewKeyFields,
  prefix: string,
  actor: string,
): Promise<KeyObject & { key: string }> {
  const now = Date.now();
  const key = newKeyRow(fields, prefix, now);
  // Its body names the object deciding for it: the identity's, or its own (docs/rate-limits.md "One round trip for a cold key").
  const plaintext = generateKeyFor(prefix, key);
  const parsed = parseKey(plaintext)!;
  const secret: KeySecretRow = {
    id: newId("sec"),
    keyId: key.id,
    hash: hashKey(plaintext),
    start: parsed.start,
    createdAt: now,
    expiresAt: null,
  };
  const keyObject = toKeyObject(key, [secret]);
  const stored = await insertKey(database(c.env.DB), key, secret, auditEntry("key.create", key.id, createdFields(keyObject), now, actor));
  // The identity was deleted between its check and this write (the write itself checks it again).
  if (!stored) throw new GatewayError("invalid_request", `identityId: no identity with id ${key.identityId}`);
  // The object deciding for the key holds its record from now on: the key's first request reads no D1.
  await handOverSecret(c, secret.hash, keyLocator(parsed.body));
  return { key: plaintext, ...keyObject };
}
