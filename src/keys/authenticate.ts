/** A key's IP allowlist check, and the context variables the proxy's admission step (src/verdict/middleware.ts) sets. */
import type { CredentialLocation } from "../env";
import { GatewayError } from "../errors";
import { ipInRange, parseIp } from "./ip";
import type { KeyRecord } from "./record";

export function ipAllowed(record: KeyRecord, clientIp: string): boolean {
  if (record.ipRanges === null) return true;
  const ip = parseIp(clientIp);
  return ip !== undefined && record.ipRanges.some((range) => ipInRange(ip, range));
}

/** Set when the request presented a valid key; unset on routes and requests without one. */
export type KeyVariables = { key?: KeyRecord; credentialSource?: CredentialLocation };

/** The refusal of an address outside the key's allowlist, naming the address the gateway saw (behind a proxy it may not be the caller's own). */
export function ipNotAllowed(ip: string): GatewayError {
  return new GatewayError("ip_not_allowed", `The client IP ${ip || "(unknown)"} is not in the key's allowlist.`);
}
