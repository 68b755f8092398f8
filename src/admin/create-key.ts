import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { adminErrors, adminSecurity } from "../gateway/schemas";
import { generateKey, hashKey, newId, parseKey } from "../keys/format";
import { insertKey } from "../keys/store";
import { auditEntry, createdFields } from "./audit";
import { CreatedKeySchema, CreateKeyBody, toKeyObject } from "./key-object";

export const createKeyRoute = createRoute({
  method: "post",
  path: "/admin/keys",
  tags: ["Keys"],
  summary: "Create a key",
  description: "The plaintext key is in this response only; the gateway stores its SHA-256.",
  security: adminSecurity,
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedKeySchema } } },
    ...adminErrors,
  },
});

export const createKey: RouteHandler<typeof createKeyRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  const now = Date.now();
  const plaintext = generateKey(body.prefix ?? c.get("config").keyPrefix);
  const key: KeyRow = {
    id: newId("key"),
    name: body.name,
    owner: body.owner ?? null,
    prefix: parseKey(plaintext)!.prefix,
    scopes: body.scopes ?? [],
    rateLimits: body.rateLimits ?? [],
    quota: body.quota ?? null,
    ipAllowlist: body.ipAllowlist ?? [],
    metadata: body.metadata ?? {},
    enabled: body.enabled ?? true,
    expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
    lastUsedAt: null,
    version: 1,
  };
  const secret: KeySecretRow = {
    id: newId("sec"),
    keyId: key.id,
    hash: hashKey(plaintext),
    start: parseKey(plaintext)!.start,
    createdAt: now,
    expiresAt: null,
  };
  const keyObject = toKeyObject(key, [secret]);
  await insertKey(database(c.env.DB), key, secret, auditEntry("key.create", key.id, createdFields(keyObject), now));
  return c.json({ key: plaintext, ...keyObject }, 201);
};
