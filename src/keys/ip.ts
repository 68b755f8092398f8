/** IPv4/IPv6 addresses and CIDR ranges on Hono's address parsing: allowlists parsed once, requests matched. */
import {
  convertIPv4MappedIPv6ToIPv4,
  convertIPv4ToBinary,
  convertIPv6ToBinary,
  distinctRemoteAddr,
  isIPv4MappedIPv6,
} from "hono/utils/ipaddr";

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpRange {
  version: 4 | 6;
  base: bigint;
  bits: number;
}

/** "203.0.113.7", "2001:db8::1" or "[2001:db8::1]" as a number; undefined if malformed. */
export function parseIp(text: string): IpAddress | undefined {
  const address = text.replace(/^\[|\]$/g, "");
  try {
    const type = distinctRemoteAddr(address);
    if (type === "IPv4") return { version: 4, value: convertIPv4ToBinary(address) };
    if (type === "IPv6") return { version: 6, value: convertIPv6ToBinary(address) };
  } catch {
    // Hono's parsers throw on a malformed address.
  }
  return undefined;
}

const widthOf = (version: 4 | 6) => (version === 4 ? 32 : 128);

function prefixMask(version: 4 | 6, bits: number): bigint {
  const width = widthOf(version);
  return bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
}

/** "203.0.113.7", "203.0.113.0/24", "2001:db8::/32" → a range; undefined if malformed. */
export function parseIpRange(text: string): IpRange | undefined {
  const [address, prefix, ...rest] = text.trim().split("/");
  if (rest.length > 0 || address === undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const width = widthOf(ip.version);
  const bits = prefix === undefined ? width : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= width)) return undefined;
  return { version: ip.version, base: ip.value & prefixMask(ip.version, bits), bits };
}

export function ipInRange(ip: IpAddress, range: IpRange): boolean {
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
  const address: IpAddress =
    ip.version === 6 && range.version === 4 && isIPv4MappedIPv6(ip.value)
      ? { version: 4, value: convertIPv4MappedIPv6ToIPv4(ip.value) }
      : ip;
  if (address.version !== range.version) return false;
  return (address.value & prefixMask(range.version, range.bits)) === range.base;
}

/**
 * The block a client is counted by (docs/configuration.md `IPV6_CLIENT_PREFIX`): an IPv4 address
 * alone (an IPv4-mapped IPv6 address as its IPv4 address); an IPv6 address as its /`ipv6Prefix`
 * network, since one client holds a whole /64. Anything unparsable stays as given.
 */
export function clientBlock(text: string, ipv6Prefix: number): string {
  const ip = parseIp(text);
  if (!ip) return text;
  if (ip.version === 4) return text;
  if (isIPv4MappedIPv6(ip.value)) {
    const v4 = convertIPv4MappedIPv6ToIPv4(ip.value);
    return [24n, 16n, 8n, 0n].map((shift) => String((v4 >> shift) & 0xffn)).join(".");
  }
  const network = ip.value & prefixMask(6, ipv6Prefix);
  const groups = Array.from({ length: 8 }, (_, i) => ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(":")}/${ipv6Prefix}`;
}
