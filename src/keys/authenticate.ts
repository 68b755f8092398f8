import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import type { AppEnv, CredentialLocation, GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { isolateKeyCache } from "./cache";
import { presentedCredentials } from "./credentials";
import { couldBeForeignKey, hasImportShape } from "./foreign-format";
import { parseKey } from "./format";
import { registeredPrefixes } from "./import-prefixes";
import { ipInRange, parseIp } from "./ip";
import { type KeyRecord, refusal } from "./record";
import { verifyKey } from "./verify";

export function ipAllowed(record: KeyRecord, clientIp: string): boolean {
  if (record.ipRanges === null) return true;
  const ip = parseIp(clientIp);
  return ip !== undefined && record.ipRanges.some((range) => ipInRange(ip, range));
}

/** Set when the request presented a valid key; unset on routes and requests without one. */
export type KeyVariables = { key?: KeyRecord; credentialSource?: CredentialLocation };

export interface PresentedKey {
  record: KeyRecord;
  location: CredentialLocation;
}

/**
 * The presented key's record (docs/keys.md): a key of neither the gateway's format nor a registered
 * import shape is refused before any lookup; then the isolate cache, else D1. Undefined if no key was presented.
 */
export async function presentedKey<E extends GatewayEnv>(c: Context<E>): Promise<PresentedKey | undefined> {
  const config = c.get("config");
  const presented = [...presentedCredentials(c.req.raw, config.credentialSources)];
  if (presented.length === 0) return undefined;
  const db = database(c.env.DB);
  const now = Date.now();
  // The first location holding a key counts, so an upstream's own token in `Authorization` does not
  // shadow the key in `X-API-Key`. Own-format keys are judged by their checksum alone; other shapes
  // only if an import registered them (the registry is read only when a value could be one).
  let credential = presented.find(({ value }) => parseKey(value));
  if (!credential && presented.some(({ value }) => couldBeForeignKey(value))) {
    const prefixes = await registeredPrefixes(db, now);
    credential = presented.find(({ value }) => hasImportShape(value, prefixes));
  }
  if (!credential) throw new GatewayError("invalid_key", "The API key is malformed.");
  const record = await knownKey(c, credential.value, now);
  const refused = refusal(record, record.secretExpiresAt, now);
  if (refused) throw new GatewayError(refused);
  return { record, location: credential.location };
}

/** A key string's record, usable or not (the caller judges it): shape first, as `presentedKey` does, then cache or D1. */
export async function keyRecordOf<E extends GatewayEnv>(c: Context<E>, value: string, now: number): Promise<KeyRecord> {
  const wellFormed =
    parseKey(value) !== undefined || (couldBeForeignKey(value) && hasImportShape(value, await registeredPrefixes(database(c.env.DB), now)));
  if (!wellFormed) throw new GatewayError("invalid_key", "The API key is malformed.");
  return knownKey(c, value, now);
}

/** The record of a key string of a valid shape: isolate cache, else D1; `invalid_key` if unknown. */
async function knownKey<E extends GatewayEnv>(c: Context<E>, value: string, now: number): Promise<KeyRecord> {
  const config = c.get("config");
  const cache = isolateKeyCache(config.keyCache.maxEntries, config.keyCache.ttlMs);
  const record = await verifyKey(value, database(c.env.DB), cache, now);
  if (!record) throw new GatewayError("invalid_key", "The API key is not known.");
  return record;
}

/** Resolves the request's API key per the route's `auth` mode, and checks the route's scopes and the key's IP allowlist. */
export function keyAuth() {
  return createMiddleware<AppEnv>(async function keyAuth(c, next) {
    const route = c.get("route");
    if (route.route.auth === "none") return next();

    const presented = await presentedKey(c);
    if (!presented) {
      if (route.route.auth === "optional") return next();
      throw new GatewayError("missing_key", "No API key was presented.");
    }
    const { record } = presented;

    const missing = route.route.scopes.filter((scope) => !record.scopes.includes(scope));
    if (missing.length > 0) throw new GatewayError("insufficient_scope", `The key lacks scope(s): ${missing.join(", ")}.`);

    if (!ipAllowed(record, c.get("clientIp"))) throw ipNotAllowed(c.get("clientIp"));

    c.set("key", record);
    c.set("credentialSource", presented.location);
    await next();
  });
}

/** The refusal of an address outside the key's allowlist, naming the address the gateway saw (behind a proxy it may not be the caller's own). */
export function ipNotAllowed(ip: string): GatewayError {
  return new GatewayError("ip_not_allowed", `The client IP ${ip || "(unknown)"} is not in the key's allowlist.`);
}
