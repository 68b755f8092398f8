// The hot key past its object's ceiling, in virtual time (bench/leases/): the gateway's lease
// modules over 16 isolates, the object capped at 1,000 calls/s. Not a timed test: no clock is read.
import { describe, expect, it } from "vitest";
import { HOT_KEY_OVER_LIMIT, HOT_KEY_UNDER_LIMIT, simulateHotKey } from "../../bench/leases/hot-key";
import { leasedSystem } from "../../bench/leases/leased";
import { unleasedSystem } from "../../bench/leases/unleased";

describe("one hot key past the object's 1,000 calls/s", () => {
  it("admits at least 10,000 req/s through leases, with every window within the limit", () => {
    const result = simulateHotKey(leasedSystem(), HOT_KEY_UNDER_LIMIT);
    expect(result.admittedPerSecond).toBeGreaterThanOrEqual(10_000);
    expect(result.worstWindowShare).toBeLessThanOrEqual(1);
    expect(result.objectCallsPerSecond).toBeLessThan(HOT_KEY_UNDER_LIMIT.objectCallsPerSecond);
  }, 120_000);

  it("without leases, stays at the object's ceiling", () => {
    const result = simulateHotKey(unleasedSystem, { ...HOT_KEY_UNDER_LIMIT, seconds: 5 });
    expect(result.admittedPerSecond).toBeLessThanOrEqual(HOT_KEY_UNDER_LIMIT.objectCallsPerSecond);
  }, 120_000);

  it("never lets all isolates together admit more than the limit in any window, at twice the limit's rate", () => {
    const result = simulateHotKey(leasedSystem(), { ...HOT_KEY_OVER_LIMIT, seconds: 12 });
    expect(result.worstWindowShare).toBeLessThanOrEqual(1);
    expect(result.worstWindowShare).toBeGreaterThan(0.99);
  }, 120_000);
});
