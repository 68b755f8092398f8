import { describe, expect, it } from "vitest";
import { lazy } from "../src/lazy";

describe("lazy", () => {
  it("loads once and shares the result with every caller", async () => {
    let loads = 0;
    const value = lazy(async () => ++loads);
    expect(await Promise.all([value(), value(), value()])).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it("gives the value without a promise only once it has loaded", async () => {
    const value = lazy(async () => "loaded");
    expect(value.loaded()).toBeUndefined();
    const loading = value();
    expect(value.loaded()).toBeUndefined();
    await loading;
    expect(value.loaded()).toBe("loaded");
  });

  it("tries again after a failed load, instead of keeping the failure", async () => {
    let loads = 0;
    const value = lazy(async () => {
      loads++;
      if (loads === 1) throw new Error("first load fails");
      return "loaded";
    });
    await expect(value()).rejects.toThrow("first load fails");
    expect(await value()).toBe("loaded");
    expect(await value()).toBe("loaded");
    expect(loads).toBe(2);
  });
});
