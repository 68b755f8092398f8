// Where a webhook may be delivered (docs/webhooks.md § Targets): public hosts only, so the
// delivery log cannot be used to probe the gateway's own network or a cloud metadata service.
import ipaddr from "ipaddr.js";

/** Names that are never public: cloud metadata services and names reserved for local use (RFC 6761, 6762, 8375). */
const PRIVATE_NAMES = /^(?:metadata\.google\.internal|metadata\.goog|instance-data(?:\.ec2\.internal)?|metadata\.azure\.com)$/;
const PRIVATE_SUFFIXES = /(?:^|\.)(?:localhost|local|internal|intranet|lan|home\.arpa|localdomain)$/;
const LOOPBACK_NAME = /^(?:localhost|[^.]+\.localhost)$/;

/** Whether a host name (as the URL parser leaves it: IPv4 in dotted decimal, IPv6 in brackets) is a loopback one. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (LOOPBACK_NAME.test(host)) return true;
  const ip = addressOf(host);
  return ip !== undefined && ip.range() === "loopback";
}

function addressOf(host: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const literal = host.startsWith("[") ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(literal)) return undefined;
  const parsed = ipaddr.parse(literal);
  // An IPv4-mapped IPv6 address reaches its IPv4 address.
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

/**
 * Why a webhook URL may not be a target, or undefined if it may. The WHATWG URL parser has already
 * turned every IPv4 spelling (hex, octal, decimal, short forms) into dotted decimal. `local`: the
 * gateway runs on this machine (docs/webhooks.md), the only case where loopback targets are allowed.
 */
export function refusedTarget(url: string, local: boolean): string | undefined {
  const host = new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  if (local && isLoopbackHost(host)) return undefined;
  const ip = addressOf(host);
  if (ip) {
    const range = ip.range();
    return range === "unicast" ? undefined : `must be a public address, not ${range} (${host})`;
  }
  if (!host.includes(".") || PRIVATE_NAMES.test(host) || PRIVATE_SUFFIXES.test(host)) return `must be a public host name, not ${host}`;
  return undefined;
}
