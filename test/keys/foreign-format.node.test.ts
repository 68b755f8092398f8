import { describe, expect, it } from "vitest";
import {
  couldBeForeignKey,
  hashOnlyStart,
  IMPORT_PREFIX_PATTERN,
  matchesImportPrefix,
  parseForeignKey,
} from "../../src/keys/foreign-format";

const body = (length: number) => "aB3-._~+/".repeat(40).slice(0, length);

describe("the shape of an imported key", () => {
  it("is the prefix, an underscore and a body of 16 to 256 b64token characters", () => {
    expect(parseForeignKey(`sk_live_${body(16)}`, "sk_live")).toEqual({ prefix: "sk_live", start: "sk_live_aB3-" });
    expect(parseForeignKey(`sk_live_${body(256)}`, "sk_live")).toBeDefined();
    expect(parseForeignKey(`sk_live_${body(15)}`, "sk_live")).toBeUndefined();
    expect(parseForeignKey(`sk_live_${body(257)}`, "sk_live")).toBeUndefined();
    expect(parseForeignKey(`sk_live-${body(20)}`, "sk_live")).toBeUndefined();
    expect(parseForeignKey(`sk_test_${body(20)}`, "sk_live")).toBeUndefined();
  });

  it("allows = only as trailing padding, and no space, quote or non-ASCII character", () => {
    expect(parseForeignKey(`k_${body(20)}==`, "k")).toBeDefined();
    for (const bad of [`${body(10)}=${body(10)}`, `${body(10)} ${body(10)}`, `${body(10)}"${body(10)}`, `${body(10)}é${body(10)}`]) {
      expect(parseForeignKey(`k_${bad}`, "k")).toBeUndefined();
    }
  });

  it("without a prefix, is the body alone; its start is its first 4 characters", () => {
    expect(parseForeignKey(body(32), "")).toEqual({ prefix: "", start: "aB3-" });
  });

  it("matches any one of the registered prefixes", () => {
    const key = `ghp_${body(36)}`;
    expect(matchesImportPrefix(key, ["sk_live", "ghp"])).toBe(true);
    expect(matchesImportPrefix(key, ["sk_live"])).toBe(false);
    expect(matchesImportPrefix(key, [])).toBe(false);
  });

  it("lets junk that no registration could admit be refused before the registry is read", () => {
    expect(couldBeForeignKey("nope")).toBe(false);
    expect(couldBeForeignKey("' OR 1=1 --")).toBe(false);
    expect(couldBeForeignKey(`x_${body(300)}`)).toBe(false);
    expect(couldBeForeignKey(`sk_live_${body(20)}`)).toBe(true);
  });

  it("takes prefixes of letters, digits, _ and -, starting with a letter, or none", () => {
    for (const ok of ["sk_live", "SK-Live", "ghp", "", "a".repeat(32)]) expect(IMPORT_PREFIX_PATTERN.test(ok)).toBe(true);
    for (const bad of ["1abc", "sk live", "_x", "a".repeat(33), "sk.live"]) expect(IMPORT_PREFIX_PATTERN.test(bad)).toBe(false);
  });

  it("shows only the prefix and its underscore for a key imported by hash", () => {
    expect(hashOnlyStart("sk_live")).toBe("sk_live_");
    expect(hashOnlyStart("")).toBe("");
  });
});
