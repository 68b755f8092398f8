import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/**
 * SHA-256 of a UTF-8 string, as lowercase hex. Synchronous: on the request path a key is ~50
 * bytes, and WebCrypto's promise round-trip costs far more than hashing one block.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
