import { describe, expect, it } from "vitest";
import { effectiveLimits } from "../../src/plans/limits";

const planLimits = [{ name: "second", limit: 10, window: 1 }];
const planQuota = { limit: 1000, period: "month" as const };
const plan = { rateLimits: planLimits, quota: planQuota };

describe("an identity's effective limits", () => {
  it("are its own when it has no plan", () => {
    const own = { rateLimits: [{ name: "minute", limit: 5, window: 60 }], quota: null };
    expect(effectiveLimits(own, null)).toEqual(own);
    expect(effectiveLimits({ rateLimits: [], quota: null }, undefined)).toEqual({ rateLimits: [], quota: null });
  });

  it("are the plan's where the identity sets nothing", () => {
    expect(effectiveLimits({ rateLimits: [], quota: null }, plan)).toEqual(plan);
  });

  it("take the identity's rate limits as a whole field, keeping the plan's quota", () => {
    const own = [{ name: "minute", limit: 5, window: 60 }];
    expect(effectiveLimits({ rateLimits: own, quota: null }, plan)).toEqual({ rateLimits: own, quota: planQuota });
  });

  it("take the identity's quota, keeping the plan's rate limits", () => {
    const quota = { limit: 7, period: "day" as const };
    expect(effectiveLimits({ rateLimits: [], quota }, plan)).toEqual({ rateLimits: planLimits, quota });
  });

  it("never merge limits by name: the identity's list replaces the plan's", () => {
    const own = [{ name: "second", limit: 2, window: 1 }];
    expect(
      effectiveLimits(
        { rateLimits: own, quota: null },
        { rateLimits: [...planLimits, { name: "hour", limit: 50, window: 3600 }], quota: null },
      ).rateLimits,
    ).toEqual(own);
  });
});
