// The key string's format: `<prefix>_<body>`, 32 base62 characters (on new keys, 20 fresh per secret and 12 naming the deciding object) and a CRC32 checksum, so junk is
// refused with no lookup; the secret's SHA-256 and the record ids (docs/keys.md, and docs/rate-limits.md § One round trip for a cold key).
import { sha256Hex } from "./sha256.ts";

/** A key prefix: lowercase letter, then up to 15 lowercase letters, digits or underscores. */
export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,15}$/;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const KEY_BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;
/** Longest possible key: 16-character prefix, "_", body. */
export const MAX_KEY_LENGTH = 16 + 1 + KEY_BODY_LENGTH;
const BASE62_BODY = /^[0-9A-Za-z]+$/;

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC32_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Fixed-width base62 of a 32-bit number (62^6 > 2^32). */
export function checksum(text: string): string {
  let value = crc32(text);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Uniform base62 characters from crypto.getRandomValues (bytes ≥ 248 are rejected to avoid bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateKey(prefix: string): string {
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new TypeError(`invalid key prefix: ${prefix}`);
  const head = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  return head + checksum(head);
}

export interface ParsedKey {
  prefix: string;
  body: string;
  /** Prefix plus the first 4 body characters: safe to display. */
  start: string;
}

/** The key's parts if it has the contract's shape and a valid checksum; no storage is touched. */
export function parseKey(key: string): ParsedKey | undefined {
  if (key.length < KEY_BODY_LENGTH + 2 || key.length > MAX_KEY_LENGTH) return undefined;
  const separator = key.length - KEY_BODY_LENGTH - 1;
  if (key[separator] !== "_") return undefined;
  const prefix = key.slice(0, separator);
  const body = key.slice(separator + 1);
  if (!KEY_PREFIX_PATTERN.test(prefix) || !BASE62_BODY.test(body)) return undefined;
  const head = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksum(head) !== body.slice(RANDOM_LENGTH)) return undefined;
  return { prefix, body, start: `${prefix}_${body.slice(0, 4)}` };
}

/** SHA-256 of the whole key string, lowercase hex: what D1 stores and looks up. */
export function hashKey(key: string): string {
  return sha256Hex(key);
}

/** Opaque record ids (`key_…`, `sec_…`, `op_…` operators, `whk_…` webhooks, `msg_…` webhook messages): 22 base62 characters, ~131 bits. */
export function newId(kind: "key" | "sec" | "op" | "whk" | "msg" | "idt" | "pln"): string {
  return `${kind}_${randomBase62(22)}`;
}
