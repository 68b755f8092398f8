import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import type { AppEnv, CredentialLocation, GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { isolateKeyCache } from "./cache";
import { findCredential } from "./credentials";
import { parseKey } from "./format";
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
 * The presented key's record under the credential rules (docs/keys.md): malformed keys are
 * refused before any lookup, then the isolate cache, else D1. Undefined if no key was presented.
 */
export async function presentedKey<E extends GatewayEnv>(c: Context<E>): Promise<PresentedKey | undefined> {
  const config = c.get("config");
  const credential = findCredential(c.req.raw, config.credentialSources);
  if (!credential) return undefined;
  if (!parseKey(credential.value)) throw new GatewayError("invalid_key", "The API key is malformed.");

  const cache = isolateKeyCache(config.keyCache.maxEntries, config.keyCache.ttlMs);
  const now = Date.now();
  const record = await verifyKey(credential.value, database(c.env.DB), cache, now);
  if (!record) throw new GatewayError("invalid_key", "The API key is not known.");
  const refused = refusal(record, record.secretExpiresAt, now);
  if (refused) throw new GatewayError(refused);
  return { record, location: credential.location };
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

    if (!ipAllowed(record, c.get("clientIp"))) throw new GatewayError("ip_not_allowed", "The client IP is not in the key's allowlist.");

    c.set("key", record);
    c.set("credentialSource", presented.location);
    await next();
  });
}
