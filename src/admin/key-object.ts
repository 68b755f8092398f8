// The key object of the admin API (docs/keys.md § Create a key): the fields a create or update may set and their checks,
// the schema, and the row's presentation, which never holds a secret or hash.
import { z } from "@hono/zod-openapi";
import { rateLimitSchema, rateLimitsSchema, routeRateLimitsSchema } from "../config/schema";
import type { KeyRow, KeySecretRow } from "../db/schema";
import { KEY_PREFIX_PATTERN } from "../keys/format";
import { parseIpRange } from "../keys/ip";
import { QuotaSchema } from "../keys/quota";

/** Whether a string holds a C0 or C1 control character or DEL: never valid in a header value. */
const hasControlCharacter = (text: string) =>
  Array.from(text).some((char) => {
    const code = char.codePointAt(0)!;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

const MAX_METADATA_BYTES = 4096;

/** An IPv4 or IPv6 address or CIDR, as one pattern: JSON Schema has no standard format for a CIDR. */
const IP_OR_CIDR = new RegExp(
  `^(?:${[z.regexes.ipv4, z.regexes.cidrv4, z.regexes.ipv6, z.regexes.cidrv6].map((r) => r.source.slice(1, -1)).join("|")})$`,
);

const isoTime = z.iso.datetime({ offset: true }).openapi({ example: "2027-01-01T00:00:00Z" });

/** A union, not `.nullable()`: the OpenAPI generator drops the null from a nullable named schema. */
const nullableQuota = z.union([QuotaSchema, z.null()]);

/** Fields a create or update may set. */
export const keyFields = {
  name: z.string().min(1).max(200).openapi({ example: "Acme production" }),
  owner: z
    .string()
    .min(1)
    .max(200)
    // It travels to the upstream as X-Gateway-Key-Owner (docs/keys.md), where control characters cannot go.
    .refine((owner) => !hasControlCharacter(owner), "must not contain control characters (U+0000-U+001F, U+007F-U+009F)")
    .openapi({
      description:
        "A user id for personal keys, an app id for service keys. No control characters: it reaches the upstream as `X-Gateway-Key-Owner`, percent-encoded (UTF-8) outside visible ASCII.",
      example: "acme",
    }),
  scopes: z
    .array(z.string().min(1).max(100))
    .max(100)
    .openapi({ example: ["read", "write"] }),
  expiresAt: isoTime,
  rateLimits: rateLimitsSchema,
  routeRateLimits: routeRateLimitsSchema,
  quota: QuotaSchema,
  ipAllowlist: z
    .array(
      // The pattern is what the OpenAPI document shows; parseIpRange, which requests are matched with, must read each entry too.
      z
        .string()
        .regex(IP_OR_CIDR, "must be an IPv4/IPv6 address or CIDR")
        .refine((entry) => parseIpRange(entry) !== undefined, "must be an IPv4/IPv6 address or CIDR")
        .openapi({ description: "An IPv4 or IPv6 address, or a CIDR range of either." }),
    )
    .max(100)
    .openapi({ example: ["203.0.113.0/24", "2001:db8::/32"] }),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((value) => new TextEncoder().encode(JSON.stringify(value)).byteLength <= MAX_METADATA_BYTES, "must be at most 4 KiB of JSON"),
  enabled: z.boolean(),
  identityId: z.string().min(1).max(64).openapi({
    description: "The identity whose limits and quota the key shares (docs/identities.md).",
    example: "idt_7QbV8kq1t4NfW2xYpQ7mHs",
  }),
};

export const CreateKeyBody = z
  .object({
    name: keyFields.name,
    owner: keyFields.owner.optional(),
    prefix: z.string().regex(KEY_PREFIX_PATTERN, "must match [a-z][a-z0-9_]{0,15}").optional().openapi({ example: "gk_live" }),
    scopes: keyFields.scopes.optional(),
    expiresAt: keyFields.expiresAt.optional(),
    rateLimits: keyFields.rateLimits.optional(),
    routeRateLimits: keyFields.routeRateLimits.optional(),
    quota: keyFields.quota.optional(),
    ipAllowlist: keyFields.ipAllowlist.optional(),
    metadata: keyFields.metadata.optional(),
    enabled: keyFields.enabled.optional(),
    identityId: keyFields.identityId.optional(),
  })
  .strict()
  .openapi("CreateKey");

/** Any field of a create but `prefix`; null clears `owner`, `expiresAt` and `quota`, and takes the key out of its identity. */
export const UpdateKeyBody = z
  .object({
    name: keyFields.name.optional(),
    owner: keyFields.owner.nullable().optional(),
    scopes: keyFields.scopes.optional(),
    expiresAt: keyFields.expiresAt.nullable().optional(),
    rateLimits: keyFields.rateLimits.optional(),
    routeRateLimits: keyFields.routeRateLimits.optional(),
    quota: nullableQuota.optional(),
    ipAllowlist: keyFields.ipAllowlist.optional(),
    metadata: keyFields.metadata.optional(),
    enabled: keyFields.enabled.optional(),
    identityId: keyFields.identityId.nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change")
  .openapi("UpdateKey", { minProperties: 1 });

export type UpdateKeyInput = z.infer<typeof UpdateKeyBody>;

export const KeyObjectSchema = z
  .object({
    id: z.string().openapi({ example: "key_3ZbV8kq1t4NfW2xYpQ7mHs" }),
    name: z.string(),
    owner: z.string().nullable(),
    start: z.string().openapi({ description: "Prefix and first 4 body characters of the current secret.", example: "gk_live_4Fz9" }),
    scopes: z.array(z.string()),
    rateLimits: z.array(rateLimitSchema),
    routeRateLimits: z.record(z.string(), z.array(rateLimitSchema)),
    quota: nullableQuota,
    ipAllowlist: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z
      .string()
      .nullable()
      .openapi({ description: "The last admitted request, copied from the key's Durable Object within about a minute." }),
    identityId: z.string().nullable().openapi({ description: "The identity whose limits and quota the key shares; null if none." }),
  })
  .openapi("Key");

export const CreatedKeySchema = KeyObjectSchema.extend({
  key: z.string().openapi({ description: "The plaintext key. Shown only in this response.", example: "gk_live_…" }),
}).openapi("CreatedKey");

export type KeyObject = z.infer<typeof KeyObjectSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The newest secret is the one a key presents today; its start is the key's display start. */
export function currentSecret(secrets: KeySecretRow[]): KeySecretRow | undefined {
  return secrets.reduce<KeySecretRow | undefined>((newest, s) => (!newest || s.createdAt >= newest.createdAt ? s : newest), undefined);
}

export function toKeyObject(key: KeyRow, secrets: KeySecretRow[]): KeyObject {
  return {
    id: key.id,
    name: key.name,
    owner: key.owner,
    start: currentSecret(secrets)?.start ?? "",
    scopes: key.scopes,
    rateLimits: key.rateLimits,
    routeRateLimits: key.routeRateLimits,
    quota: key.quota ?? null,
    ipAllowlist: key.ipAllowlist,
    metadata: key.metadata,
    enabled: key.enabled,
    expiresAt: iso(key.expiresAt),
    createdAt: iso(key.createdAt)!,
    updatedAt: iso(key.updatedAt)!,
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
    identityId: key.identityId,
  };
}
