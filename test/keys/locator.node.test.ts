import { describe, expect, it } from "vitest";
import { generateKey, parseKey } from "../../src/keys/format";
import { generateKeyFor, keyLocator, locatorChars, locatorFor, newLocatedId } from "../../src/keys/locator";

// docs/rate-limits.md "One round trip for a cold key".
describe("a key body naming its deciding object", () => {
  it("keeps the contract's shape and checksum, with fresh characters per secret and the locator after them", () => {
    const id = newLocatedId("key");
    expect(id).toMatch(/^key_[0-9A-Za-z]{10}$/);
    const secrets = Array.from({ length: 200 }, () => generateKeyFor("gk_live", { id, identityId: null }));
    for (const key of secrets) {
      expect(key).toMatch(/^gk_live_[0-9A-Za-z]{38}$/);
      const parsed = parseKey(key)!;
      expect(parsed.start).toBe(key.slice(0, 12));
      expect(parsed.body.slice(20, 32)).toBe(locatorChars(id));
      expect(keyLocator(parsed.body)).toEqual({ kind: "key", id });
    }
    // The first 20 characters are fresh per secret: `start` still tells secrets apart.
    expect(new Set(secrets.map((k) => parseKey(k)!.body.slice(0, 20))).size).toBe(200);
    expect(new Set(secrets.map((k) => parseKey(k)!.start)).size).toBeGreaterThan(190);
  });

  it("names the identity's object for a key in an identity, else the key's own", () => {
    const key = newLocatedId("key");
    const identity = newLocatedId("idt");
    expect(keyLocator(parseKey(generateKeyFor("gk", { id: key, identityId: identity }))!.body)).toEqual({ kind: "idt", id: identity });
    expect(locatorFor({ id: key, identityId: null })).toBe(locatorChars(key));
    // An identity of the older, longer ids cannot be named: the key's own object is, and sends the isolate on.
    expect(locatorFor({ id: key, identityId: "idt_3ZbV8kq1t4NfW2xYpQ7mHs" })).toBe(locatorChars(key));
  });

  it("issues random bodies throughout for keys of the older, longer ids", () => {
    expect(locatorFor({ id: "key_3ZbV8kq1t4NfW2xYpQ7mHs", identityId: null })).toBeUndefined();
    expect(generateKeyFor("gk", { id: "key_3ZbV8kq1t4NfW2xYpQ7mHs", identityId: null })).toMatch(/^gk_[0-9A-Za-z]{38}$/);
  });

  it("finds no locator in almost every key of the older format", () => {
    const located = Array.from({ length: 20_000 }, () => generateKey("gk_live")).filter((k) => keyLocator(parseKey(k)!.body));
    // Two tags of 3,844 values each: about 10 in 20,000 fit by chance (the object they name then sends the isolate on).
    expect(located.length).toBeLessThan(40);
  });

  it("refuses prefixes outside the contract's pattern", () => {
    expect(() => generateKeyFor("Bad", { id: newLocatedId("key"), identityId: null })).toThrow();
  });
});
