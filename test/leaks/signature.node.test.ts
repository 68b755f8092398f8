import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { derToRawSignature, importPublicKey, signatureVerifies } from "../../src/leaks/signature";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();

describe("GitHub signatures", () => {
  it("unpacks DER signatures into the r||s form, short integers and leading zeros included", () => {
    // Enough signatures that some r or s has a leading zero byte (DER then drops it, or pads a high bit).
    for (let i = 0; i < 200; i++) {
      const body = Buffer.from(`report ${i}`);
      const raw = derToRawSignature(sign("sha256", body, privateKey));
      expect(raw).toHaveLength(64);
      expect(verify("sha256", body, { key: publicKey, dsaEncoding: "ieee-p1363" }, raw as Uint8Array)).toBe(true);
    }
  });

  it("refuses what is not one DER sequence of two integers", () => {
    const der = sign("sha256", Buffer.from("x"), privateKey);
    for (const bad of [
      new Uint8Array(),
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.from([0])]),
      Buffer.from([0x30, 0x02, 0x05, 0x00]),
    ]) {
      expect(derToRawSignature(bad)).toBeUndefined();
    }
  });

  it("verifies GitHub's base64 DER signature with WebCrypto, and nothing else", async () => {
    const key = await importPublicKey(pem);
    if (!key) throw new Error("the PEM did not import");
    const body = new TextEncoder().encode('[{"token":"x"}]');
    const signature = sign("sha256", body, privateKey).toString("base64");
    expect(await signatureVerifies(key, body, signature)).toBe(true);
    expect(await signatureVerifies(key, new TextEncoder().encode('[{"token":"y"}]'), signature)).toBe(false);
    expect(await signatureVerifies(key, body, "%%%")).toBe(false);
    expect(await importPublicKey("not a pem")).toBeUndefined();
  });
});
