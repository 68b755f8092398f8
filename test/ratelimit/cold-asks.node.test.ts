// What a key's object remembers of cold keys' lease asks (src/ratelimit/cold-asks.ts): a racer of an
// ask gives its lease back once, and an ask whose racer came first gets none.
import { describe, expect, it } from "vitest";
import { ColdAsks } from "../../src/ratelimit/cold-asks";

describe("cold asks", () => {
  it("hand the lease an ask brought to its first racer only", () => {
    const asks = new ColdAsks();
    expect(asks.mayLease("a", 0)).toBe(true);
    asks.granted("a", "isolate-1", 7, 0);
    expect(asks.raced("a", 10)).toEqual({ isolateId: "isolate-1", leaseId: 7 });
    expect(asks.raced("a", 11)).toBeUndefined();
  });

  it("lease nothing to an ask a racer of it came before", () => {
    const asks = new ColdAsks();
    expect(asks.raced("a", 0)).toBeUndefined();
    expect(asks.mayLease("a", 5)).toBe(false);
    expect(asks.mayLease("b", 5)).toBe(true);
  });

  it("forget an ask after a while: its lease has ended and been reported", () => {
    const asks = new ColdAsks();
    asks.granted("a", "isolate-1", 7, 0);
    expect(asks.raced("a", 60_000)).toBeUndefined();
  });
});
