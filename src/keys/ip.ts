/** IPv4/IPv6 addresses and CIDR ranges: parsing for allowlists, matching for requests. */

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export interface IpRange {
  version: 4 | 6;
  base: bigint;
  bits: number;
}

export function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIPv6(text.replace(/^\[|\]$/g, ""));
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** "203.0.113.7", "203.0.113.0/24", "2001:db8::/32" → a range; undefined if malformed. */
export function parseIpRange(text: string): IpRange | undefined {
  const [address, prefix, ...rest] = text.trim().split("/");
  if (rest.length > 0 || address === undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const width = ip.version === 4 ? 32 : 128;
  const bits = prefix === undefined ? width : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= width)) return undefined;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { version: ip.version, base: ip.value & mask, bits };
}

export function ipInRange(ip: { version: 4 | 6; value: bigint }, range: IpRange): boolean {
  let value = ip.value;
  let version = ip.version;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
  if (version === 6 && range.version === 4 && value >> 32n === 0xffffn) {
    value &= 0xffffffffn;
    version = 4;
  }
  if (version !== range.version) return false;
  const width = version === 4 ? 32 : 128;
  const mask = range.bits === 0 ? 0n : ((1n << BigInt(range.bits)) - 1n) << BigInt(width - range.bits);
  return (value & mask) === range.base;
}
