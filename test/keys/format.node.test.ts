import { describe, expect, it } from "vitest";
import { checksum, crc32, generateKey, hashKey, parseKey } from "../../src/keys/format";
import { sha256Hex } from "../../src/keys/sha256";
import { propertyRuns } from "../support/properties";

describe("key format", () => {
  it("generates <prefix>_<38 base62> with a valid checksum", () => {
    const key = generateKey("gk_live");
    expect(key).toMatch(/^gk_live_[0-9A-Za-z]{38}$/);
    expect(parseKey(key)).toEqual({ prefix: "gk_live", body: key.slice(8), start: key.slice(0, 12) });
  });

  it("computes CRC-32 (IEEE) as the standard check value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(checksum("123456789")).toHaveLength(6);
  });

  it("generates distinct keys", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey("t")));
    expect(keys.size).toBe(1000);
  });

  it("accepts prefixes with underscores and digits", () => {
    for (const prefix of ["a", "gk_test_2", "abcdefghijklmnop"]) expect(parseKey(generateKey(prefix))?.prefix).toBe(prefix);
  });

  it("refuses invalid prefixes when generating", () => {
    for (const prefix of ["", "Gk", "1ab", "abcdefghijklmnopq", "a-b"]) expect(() => generateKey(prefix)).toThrow();
  });

  it("rejects a key whose checksum does not match", () => {
    const key = generateKey("gk_live");
    const flipped = key.slice(0, 10) + (key[10] === "a" ? "b" : "a") + key.slice(11);
    expect(parseKey(flipped)).toBeUndefined();
  });

  it("rejects wrong shapes", () => {
    const key = generateKey("gk_live");
    for (const bad of [
      "",
      "gk_live_",
      `${key}x`,
      key.slice(1 + 8),
      key.replace("_", "-"),
      `${key.slice(0, -1)}!`,
      `GK_LIVE${key.slice(7)}`,
      ` ${key}`,
    ]) {
      expect(parseKey(bad)).toBeUndefined();
    }
  });

  it("hashes the whole key string with SHA-256", async () => {
    expect(await hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("sha256Hex", () => {
  it("agrees with WebCrypto's SHA-256 on any string, across block boundaries", async () => {
    const { default: fc } = await import("fast-check");
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 130 })), async (text) => {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
        expect(sha256Hex(text)).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
      }),
      propertyRuns(500),
    );
    for (const length of [0, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const text = "k".repeat(length);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
      expect(sha256Hex(text), String(length)).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
    }
  });
});
