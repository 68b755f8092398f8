/**
 * GitHub secret-scanning signatures (docs/secret-scanning.md): ECDSA P-256 / SHA-256 over the raw
 * body, sent base64 DER-encoded. WebCrypto verifies the raw r||s form, so the DER is unpacked here.
 */
/** Bytes of each of r and s for P-256. */
const COORDINATE_BYTES = 32;

/** One DER INTEGER at `at` (tag 0x02, short length): its value without leading zeros, and where the next starts. */
function derInteger(der: Uint8Array, at: number): { value: Uint8Array; next: number } | undefined {
  if (der[at] !== 0x02) return undefined;
  const length = der[at + 1];
  if (length === undefined || length === 0 || length > COORDINATE_BYTES + 1 || at + 2 + length > der.length) return undefined;
  let value = der.subarray(at + 2, at + 2 + length);
  while (value.length > 0 && value[0] === 0) value = value.subarray(1);
  if (value.length > COORDINATE_BYTES) return undefined;
  return { value, next: at + 2 + length };
}

/** `SEQUENCE { INTEGER r, INTEGER s }` → the 64-byte r||s WebCrypto takes; undefined for anything else. */
export function derToRawSignature(der: Uint8Array): Uint8Array | undefined {
  if (der[0] !== 0x30 || der[1] === undefined || der[1] !== der.length - 2) return undefined;
  const r = derInteger(der, 2);
  const s = r && derInteger(der, r.next);
  if (!r || !s || s.next !== der.length) return undefined;
  const raw = new Uint8Array(COORDINATE_BYTES * 2);
  raw.set(r.value, COORDINATE_BYTES - r.value.length);
  raw.set(s.value, COORDINATE_BYTES * 2 - s.value.length);
  return raw;
}

function base64Bytes(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text.trim()), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/;

/** A PEM public key (SPKI) as a P-256 verification key; undefined when it is not one. */
export async function importPublicKey(pem: string): Promise<CryptoKey | undefined> {
  const spki = base64Bytes(pem.match(PEM_PUBLIC_KEY)?.[1]?.replace(/\s+/g, "") ?? "");
  if (!spki || spki.length === 0) return undefined;
  try {
    return await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } catch {
    return undefined;
  }
}

/** Whether `signature` (base64 DER) is the key's ECDSA P-256 / SHA-256 signature of `body`. */
export async function signatureVerifies(key: CryptoKey, body: Uint8Array, signature: string): Promise<boolean> {
  const der = base64Bytes(signature);
  const raw = der && derToRawSignature(der);
  if (!raw) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, body);
}
