// Every Durable Object name the gateway uses, built here only: the key and identity objects
// (KEY_LIMITER), the client IP counters, the webhook outboxes and the usage export's outbox.
import { clientBlock } from "../keys/ip";
import type { Locator } from "../keys/locator";

/** The key's object: its status, windows, quota, usage and last use. */
export const keyObjectName = (keyId: string) => `key:${keyId}`;

/** An identity's object: it decides for every key of the identity (docs/identities.md). */
export const identityObjectName = (identityId: string) => `identity:${identityId}`;

/** The object that decides the key's requests: its identity's when it has one, else its own. */
export const decidingObjectName = (keyId: string, key: { identity?: { id: string } }) =>
  key.identity ? identityObjectName(key.identity.id) : keyObjectName(keyId);

/** The object a key's body names (docs/rate-limits.md "One round trip for a cold key"): a key's own, or an identity's. */
export const locatorObjectName = (locator: Locator) =>
  locator.kind === "idt" ? identityObjectName(locator.id) : keyObjectName(locator.id);

declare const clientIpCounterName: unique symbol;
/** The name of a `ClientIpCounter`: only the functions below make one. */
export type ClientIpCounterName = string & { readonly [clientIpCounterName]: true };

/** Where a client is counted: its IPv4 address, or its IPv6 address's network of `IPV6_CLIENT_PREFIX` bits. */
const counterName = (kind: string, ip: string, ipv6Prefix: number) => `${kind}:${clientBlock(ip, ipv6Prefix)}` as ClientIpCounterName;

/** Anonymous requests on limited routes, counted per client. */
export const anonymousTrafficCounter = (ip: string, ipv6Prefix: number) => counterName("ip", ip, ipv6Prefix);
/** Failed admin logins, counted per client. */
export const adminLoginCounter = (ip: string, ipv6Prefix: number) => counterName("admin-ip", ip, ipv6Prefix);
/** Lookups of well-formed keys that D1 does not know (forged or mistyped keys), counted per client. */
export const failedKeyLookupCounter = (ip: string, ipv6Prefix: number) => counterName("key-lookup-ip", ip, ipv6Prefix);

/** Every webhook's queue is its own Durable Object: one slow receiver never holds up another. */
export const webhookOutboxName = (webhookId: string) => `webhook:${webhookId}`;

/** The one object that holds the usage export's queue (docs/billing.md). */
export const BILLING_OUTBOX_NAME = "billing-export";
