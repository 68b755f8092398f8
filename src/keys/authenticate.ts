import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { database } from "../db/client";
import { isolateKeyCache } from "./cache";
import { findCredential } from "./credentials";
import { parseKey } from "./format";
import { ipInRange, parseIp, parseIpRange } from "./ip";
import { refusal, type KeyRecord } from "./record";
import { verifyKey } from "./verify";

function ipAllowed(record: KeyRecord, clientIp: string): boolean {
  if (record.ipAllowlist.length === 0) return true;
  const ip = parseIp(clientIp);
  return ip !== undefined && record.ipAllowlist.some((entry) => {
    const range = parseIpRange(entry);
    return range !== undefined && ipInRange(ip, range);
  });
}

/**
 * Resolves the request's API key to its record (isolate cache, else D1) per the route's
 * `auth` mode, and checks the route's scopes. Malformed keys are refused before any lookup.
 */
export function keyAuth() {
  return createMiddleware<AppEnv>(async function keyAuth(c, next) {
    const { config, route } = c.var;
    if (route.route.auth === "none") return next();

    const credential = findCredential(c.req.raw, new URL(c.req.url), config.credentialSources);
    if (!credential) {
      if (route.route.auth === "optional") return next();
      throw new GatewayError("missing_key", "No API key was presented.");
    }
    if (!parseKey(credential.value)) throw new GatewayError("invalid_key", "The API key is malformed.");

    const cache = isolateKeyCache(config.keyCache.maxEntries, config.keyCache.ttlMs);
    const now = Date.now();
    const record = await verifyKey(credential.value, database(c.env.DB), cache, now);
    if (!record) throw new GatewayError("invalid_key", "The API key is not known.");
    const refused = refusal(record, record.secretExpiresAt, now);
    if (refused) throw new GatewayError(refused);

    const missing = route.route.scopes.filter((scope) => !record.scopes.includes(scope));
    if (missing.length > 0) throw new GatewayError("insufficient_scope", `The key lacks scope(s): ${missing.join(", ")}.`);

    if (!ipAllowed(record, c.var.clientIp)) throw new GatewayError("ip_not_allowed", "The client IP is not in the key's allowlist.");

    c.set("key", record);
    c.set("credentialSource", credential.location);
    await next();
  });
}
