import { describe, expect, it } from "vitest";
import {
  type LimitDecision,
  nearestExhaustion,
  type PolicyState,
  rateLimitHeader,
  rateLimitHeaders,
  rateLimitPolicyHeader,
} from "../../src/ratelimit/decision";

// ------------------------------------------------------------------ RFC 8941 List, just enough for these fields

type BareItem = string | number | boolean;

interface Member {
  value: BareItem;
  /** Whether the item was an sf-string (the draft names policies with strings, not tokens). */
  isString: boolean;
  params: Map<string, BareItem>;
}

class Parser {
  private at = 0;
  private readonly input: string;

  constructor(input: string) {
    this.input = input;
  }

  /** RFC 8941 §4.2.1, without inner lists. */
  list(): Member[] {
    const members: Member[] = [];
    this.skip(" ");
    while (this.at < this.input.length) {
      members.push(this.item());
      this.skip(" \t");
      if (this.at === this.input.length) return members;
      this.expect(",");
      this.skip(" \t");
      if (this.at === this.input.length) throw new SyntaxError("trailing comma");
    }
    return members;
  }

  private item(): Member {
    const isString = this.peek() === '"';
    return { value: this.bareItem(), isString, params: this.params() };
  }

  private params(): Map<string, BareItem> {
    const params = new Map<string, BareItem>();
    while (this.peek() === ";") {
      this.at++;
      this.skip(" ");
      const key = this.key();
      let value: BareItem = true;
      if (this.peek() === "=") {
        this.at++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  private key(): string {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(this.input.slice(this.at));
    if (!match) throw new SyntaxError(`bad key at ${this.at}`);
    this.at += match[0].length;
    return match[0];
  }

  private bareItem(): BareItem {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === "-" || /[0-9]/.test(c)) return this.integer();
    if (c === "?") return this.boolean();
    throw new SyntaxError(`unsupported bare item at ${this.at}: ${c}`);
  }

  private string(): string {
    this.expect('"');
    let out = "";
    while (this.at < this.input.length) {
      const c = this.input[this.at++]!;
      if (c === '"') return out;
      if (c === "\\") {
        const next = this.input[this.at++];
        if (next !== '"' && next !== "\\") throw new SyntaxError("bad escape");
        out += next;
      } else if (c < " " || c > "~") throw new SyntaxError("non-printable character in string");
      else out += c;
    }
    throw new SyntaxError("unterminated string");
  }

  private integer(): number {
    const match = /^-?[0-9]+/.exec(this.input.slice(this.at));
    if (!match || match[0].replace("-", "").length > 15) throw new SyntaxError(`bad integer at ${this.at}`);
    if (this.input[this.at + match[0].length] === ".") throw new SyntaxError("decimal where an integer is expected");
    this.at += match[0].length;
    return Number(match[0]);
  }

  private boolean(): boolean {
    const match = /^\?[01]/.exec(this.input.slice(this.at));
    if (!match) throw new SyntaxError("bad boolean");
    this.at += 2;
    return match[0] === "?1";
  }

  private peek(): string {
    return this.input[this.at] ?? "";
  }

  private expect(c: string): void {
    if (this.input[this.at] !== c) throw new SyntaxError(`expected ${c} at ${this.at}`);
    this.at++;
  }

  private skip(chars: string): void {
    while (this.at < this.input.length && chars.includes(this.input[this.at]!)) this.at++;
  }
}

const parseList = (field: string) => new Parser(field).list();

function nonNegativeInteger(member: Member, key: string): number {
  const value = member.params.get(key);
  expect(typeof value, `${key} of ${String(member.value)}`).toBe("number");
  expect(Number.isInteger(value) && (value as number) >= 0).toBe(true);
  return value as number;
}

// ------------------------------------------------------------------ fixtures

const policy = (name: string, limit: number, window: number, remaining: number, reset: number): PolicyState => ({
  name,
  limit,
  window,
  remaining,
  reset,
});
const MINUTE = policy("minute", 100, 60, 42, 17);
const DAY = policy("day", 10_000, 86_400, 9_000, 3_600);

describe("the parser itself", () => {
  it("rejects what RFC 8941 rejects", () => {
    for (const bad of ['"a";q=1,', '"a";q=1.5', '"a', '"a";Q=1', '"a"x', '"a";q=1234567890123456']) {
      expect(() => parseList(bad), bad).toThrow(SyntaxError);
    }
  });

  it("reads strings with escapes and parameters", () => {
    const [member] = parseList('"a\\"b";q=1;x');
    expect(member).toEqual({
      value: 'a"b',
      isString: true,
      params: new Map<string, BareItem>([
        ["q", 1],
        ["x", true],
      ]),
    });
  });
});

describe("RateLimit-Policy", () => {
  it("is a List with one string-named item per policy, in order", () => {
    const members = parseList(rateLimitPolicyHeader([MINUTE, DAY]));
    expect(members.map((m) => [m.value, m.isString])).toEqual([
      ["minute", true],
      ["day", true],
    ]);
  });

  it("gives each policy its quota as q and its window in seconds as w", () => {
    const members = parseList(rateLimitPolicyHeader([MINUTE, DAY]));
    expect(members.map((m) => [nonNegativeInteger(m, "q"), nonNegativeInteger(m, "w")])).toEqual([
      [100, 60],
      [10_000, 86_400],
    ]);
  });

  it("matches the contract's example byte for byte", () => {
    expect(rateLimitPolicyHeader([MINUTE, DAY])).toBe('"minute";q=100;w=60, "day";q=10000;w=86400');
  });

  it("keeps every character a limit name may use intact", () => {
    const name = "Az09_.-";
    expect(parseList(rateLimitPolicyHeader([{ ...MINUTE, name }]))[0]!.value).toBe(name);
  });
});

describe("RateLimit", () => {
  it("is one string-named item with the remaining quota as r and the reset in seconds as t", () => {
    const [member, ...rest] = parseList(rateLimitHeader(MINUTE));
    expect(rest).toHaveLength(0);
    expect(member!.value).toBe("minute");
    expect(member!.isString).toBe(true);
    expect(nonNegativeInteger(member!, "r")).toBe(42);
    expect(nonNegativeInteger(member!, "t")).toBe(17);
  });

  it("matches the contract's example byte for byte", () => {
    expect(rateLimitHeader(MINUTE)).toBe('"minute";r=42;t=17');
  });
});

describe("the headers of a decision", () => {
  const decision = (over: Partial<LimitDecision>): LimitDecision => ({ outcome: "allowed", policies: [MINUTE, DAY], nearest: 0, ...over });

  it("reports the nearest policy in RateLimit, named as in RateLimit-Policy", () => {
    const headers = rateLimitHeaders(decision({ nearest: 1 }));
    const names = parseList(headers["ratelimit-policy"]!).map((m) => m.value);
    const [reported] = parseList(headers.ratelimit!);
    expect(names).toContain(reported!.value);
    expect(reported!.value).toBe("day");
  });

  it("adds Retry-After in whole seconds only to a denial", () => {
    expect(rateLimitHeaders(decision({}))["retry-after"]).toBeUndefined();
    expect(rateLimitHeaders(decision({ outcome: "rate_limited", retryAfter: 17 }))["retry-after"]).toBe("17");
  });

  it("sends no rate-limit headers when no policy applies", () => {
    expect(rateLimitHeaders({ outcome: "allowed", policies: [], nearest: -1 })).toEqual({});
  });
});

describe("nearestExhaustion", () => {
  it("picks the policy with the smallest share of its quota left", () => {
    expect(nearestExhaustion([policy("a", 100, 60, 50, 1), policy("b", 10_000, 86_400, 100, 1)])).toBe(1);
    expect(nearestExhaustion([policy("a", 100, 60, 5, 1), policy("b", 10_000, 86_400, 1_000, 1)])).toBe(0);
  });

  it("breaks a tie in favour of the longer wait", () => {
    expect(nearestExhaustion([policy("a", 100, 60, 0, 30), policy("b", 10, 1, 0, 1)])).toBe(0);
    expect(nearestExhaustion([policy("a", 10, 1, 0, 1), policy("b", 100, 60, 0, 30)])).toBe(1);
  });

  it("keeps the first of fully equal policies", () => {
    expect(nearestExhaustion([policy("a", 10, 60, 5, 10), policy("b", 10, 60, 5, 10)])).toBe(0);
  });

  it("has no nearest policy when there are none", () => {
    expect(nearestExhaustion([])).toBe(-1);
  });
});
