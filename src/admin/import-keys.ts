// POST /_gateway/admin/keys/import: brings up to 1,000 existing keys (plaintext or SHA-256) behind the gateway, idempotent per hash,
// each entry reported on its own (docs/keys.md § Import).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { describeIssues } from "../config/describe-issues";
import { database } from "../db/client";
import type { KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors } from "../gateway/schemas";
import { existingIdentityIds } from "../identities/store";
import { isolateKeyCache } from "../keys/cache";
import {
  FOREIGN_BODY_MAX_LENGTH,
  FOREIGN_BODY_MIN_LENGTH,
  hashOnlyStart,
  IMPORT_PREFIX_MIN_LENGTH,
  IMPORT_PREFIX_PATTERN,
  parseForeignKey,
  refusedImportPrefix,
} from "../keys/foreign-format";
import { hashKey, newId, parseKey } from "../keys/format";
import { rememberImportPrefix } from "../keys/import-prefixes";
import { type ImportedKey, insertImportedKeys, keysHoldingHashes } from "../keys/import-store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { newKeyRow } from "./create-key";
import { CreateKeyBody } from "./key-object";

export const MAX_IMPORT_KEYS = 1000;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** One key to import: its plaintext or its hash, and any field of a create but `prefix` (the call's `prefix` says the shape). */
export const ImportKeyEntry = CreateKeyBody.omit({ prefix: true })
  .extend({
    key: z
      .string()
      .max(32 + 1 + FOREIGN_BODY_MAX_LENGTH)
      .optional()
      .openapi({
        description: `The plaintext: \`<prefix>_<body>\` (only \`<body>\` without a prefix), the body ${FOREIGN_BODY_MIN_LENGTH}–${FOREIGN_BODY_MAX_LENGTH} characters of A–Z a–z 0–9 - . _ ~ + / with trailing = allowed.`,
        example: "sk_live_51HxQ2eKpV8mT3nR6wY9zL4aB7cD0fG",
      }),
    hash: z.string().regex(SHA256_HEX, "must be 64 hex characters").optional().openapi({
      description: "Hex SHA-256 of the whole key string (prefix included), when the plaintext is not known.",
      example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }),
  })
  .refine((entry) => (entry.key === undefined) !== (entry.hash === undefined), "give exactly one of key or hash")
  .openapi("ImportKey", { description: "Exactly one of `key` and `hash`, and the key's fields as in a create." });

export const ImportKeysBody = z
  .object({
    prefix: z
      .string()
      .min(IMPORT_PREFIX_MIN_LENGTH)
      .regex(IMPORT_PREFIX_PATTERN, "must match [A-Za-z][A-Za-z0-9_-]{0,31}")
      .optional()
      .openapi({
        description: `The prefix the keys carry before their \`_\`, registered so that keys of this shape are looked up: at least ${IMPORT_PREFIX_MIN_LENGTH} characters, not an authentication scheme word (\`bearer\`, \`token\`…) nor one of the gateway's own prefixes (docs/keys.md). Omitted: the keys have no prefix and no shape is registered (keys in the gateway's own format still authenticate).`,
        example: "sk_live",
      }),
    // Entries are checked one by one in the handler, so that a bad one is reported by index and the rest land.
    keys: z
      .array(z.unknown())
      .min(1)
      .max(MAX_IMPORT_KEYS)
      .openapi({ items: { $ref: "#/components/schemas/ImportKey" } }),
  })
  .strict()
  .openapi("ImportKeys");

const EntryOutcome = z.object({ index: z.number().int(), id: z.string() });

export const ImportReportSchema = z
  .object({
    imported: z.array(EntryOutcome).openapi({ description: "Entries stored, with their new key id." }),
    duplicates: z.array(EntryOutcome).openapi({
      description: "Entries whose hash a key already holds (or an earlier entry of the call): nothing changed; the id is that key's.",
    }),
    invalid: z
      .array(z.object({ index: z.number().int(), detail: z.string() }))
      .openapi({ description: "Entries refused, each with its reason; the rest of the call still landed." }),
  })
  .openapi("ImportReport");

export const importKeysRoute = createRoute({
  method: "post",
  path: "/admin/keys/import",
  operationId: "importKeys",
  tags: ["Keys"],
  summary: "Import existing keys",
  description:
    "Moves up to 1,000 keys an API already has behind the gateway, each as plaintext or SHA-256. Idempotent per hash: a re-run reports duplicates and changes nothing. An invalid entry is reported by index and the others land.",
  ...requireScope("keys:write"),
  request: { body: { required: true, content: { "application/json": { schema: ImportKeysBody } } } },
  responses: {
    200: { description: "What became of each entry", content: { "application/json": { schema: ImportReportSchema } } },
    ...adminErrors,
    ...bodyErrors,
  },
});

type Outcome = z.infer<typeof EntryOutcome>;

/** One entry checked against the entry schema and the call's key shape: its rows, or why it is refused. */
function judgeEntry(raw: unknown, prefix: string, now: number): ImportedKey | { invalid: string } {
  const parsed = ImportKeyEntry.safeParse(raw);
  if (!parsed.success) return { invalid: describeIssues(parsed.error) };
  const { key: plaintext, hash, ...fields } = parsed.data;
  const foreign = plaintext === undefined ? undefined : parseForeignKey(plaintext, prefix);
  if (plaintext !== undefined && !foreign) {
    const shape = prefix ? `"${prefix}_" and a body of` : "a body of";
    return { invalid: `key: must be ${shape} ${FOREIGN_BODY_MIN_LENGTH}–${FOREIGN_BODY_MAX_LENGTH} b64token characters` };
  }
  // Without a registered shape a foreign key is never looked up: refused here rather than stored to fail later.
  if (plaintext !== undefined && !prefix && !parseKey(plaintext))
    return { invalid: "key: not in the gateway's own format; import foreign keys with the prefix they carry (docs/keys.md)" };
  const key = newKeyRow(fields, prefix, now);
  const secret: KeySecretRow = {
    id: newId("sec"),
    keyId: key.id,
    hash: plaintext === undefined ? hash!.toLowerCase() : hashKey(plaintext),
    start: foreign?.start ?? hashOnlyStart(prefix),
    createdAt: now,
    expiresAt: null,
  };
  return { key, secret };
}

/** The identity ids the entries name, each once. */
function namedIdentities(entries: unknown[]): string[] {
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = typeof entry === "object" && entry !== null ? (entry as { identityId?: unknown }).identityId : undefined;
    if (typeof id === "string") ids.add(id);
  }
  return [...ids];
}

export const importKeys: RouteHandler<typeof importKeysRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  const prefix = body.prefix ?? "";
  const refused = body.prefix === undefined ? undefined : refusedImportPrefix(body.prefix, c.get("config").keyPrefix);
  if (refused) throw new GatewayError("invalid_request", `prefix: ${refused}`);
  const now = Date.now();
  const invalid: { index: number; detail: string }[] = [];
  const candidates = new Map<string, { index: number; row: ImportedKey }>(); // by hash: the first entry holding it
  const repeats: { index: number; hash: string }[] = [];

  const db = database(c.env.DB);
  const identities = await existingIdentityIds(db, namedIdentities(body.keys));
  for (const [index, raw] of body.keys.entries()) {
    const judged = judgeEntry(raw, prefix, now);
    if ("invalid" in judged) invalid.push({ index, detail: judged.invalid });
    // An entry naming an identity that does not exist is refused, like any other bad field.
    else if (judged.key.identityId !== null && !identities.has(judged.key.identityId))
      invalid.push({ index, detail: `identityId: no identity with id ${judged.key.identityId}` });
    else if (candidates.has(judged.secret.hash)) repeats.push({ index, hash: judged.secret.hash });
    else candidates.set(judged.secret.hash, { index, row: judged });
  }

  const held = await keysHoldingHashes(db, [...candidates.keys()]);
  const fresh = [...candidates.values()].filter(({ row }) => !held.has(row.secret.hash));
  let inserted = new Set<string>();
  if (fresh.length > 0) {
    const audit = auditEntry(
      "key.import",
      null,
      { count: fresh.length, prefix: prefix || null, duplicates: candidates.size - fresh.length + repeats.length, invalid: invalid.length },
      now,
      auditActor(c),
    );
    inserted = await insertImportedKeys(
      db,
      fresh.map(({ row }) => row),
      prefix,
      audit,
    );
    if (prefix) rememberImportPrefix(prefix);
    // A key looked up before it was imported is cached here as unknown.
    const { keyCache } = c.get("config");
    const cache = isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs);
    for (const { row } of fresh) cache.forget(row.secret.hash);
  }

  // Skipped by the batch: another import landed the hash after it was checked here.
  const skipped = fresh.filter(({ row }) => !inserted.has(row.key.id)).map(({ row }) => row.secret.hash);
  const lateHeld = await keysHoldingHashes(db, skipped);
  const holder = (hash: string) => held.get(hash) ?? lateHeld.get(hash) ?? candidates.get(hash)!.row.key.id;

  const imported: Outcome[] = [];
  const duplicates: Outcome[] = repeats.map(({ index, hash }) => ({ index, id: holder(hash) }));
  for (const { index, row } of candidates.values()) {
    if (inserted.has(row.key.id)) imported.push({ index, id: row.key.id });
    // Skipped, yet no key holds its hash: its identity was deleted after the check above.
    else if (!held.has(row.secret.hash) && !lateHeld.has(row.secret.hash) && row.key.identityId !== null)
      invalid.push({ index, detail: `identityId: no identity with id ${row.key.identityId}` });
    else duplicates.push({ index, id: holder(row.secret.hash) });
  }
  invalid.sort((a, b) => a.index - b.index);
  duplicates.sort((a, b) => a.index - b.index);
  return c.json({ imported, duplicates, invalid }, 200);
};
