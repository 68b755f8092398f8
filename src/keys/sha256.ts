// SHA-256 of a key string as lowercase hex, synchronous (noble), the form D1 stores and looks up.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** One encoder for the isolate: noble's `utf8ToBytes` builds a new one (and copies its output) per call. */
const utf8 = new TextEncoder();

/**
 * SHA-256 of a UTF-8 string, as lowercase hex. Synchronous: on the request path a key is ~50
 * bytes, and WebCrypto's promise round-trip costs far more than hashing one block.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8.encode(text)));
}
