import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_BASE_MS, nextAttemptAt, RETRY_SPAN_MS, retryWaitMs } from "../../src/webhooks/retry";

const low = () => 0;
const high = () => 0.999_999;

describe("webhook retry schedule", () => {
  it("retries the first failure within 10 seconds, whatever the jitter", () => {
    expect(retryWaitMs(1, DEFAULT_RETRY_BASE_MS, high)).toBeLessThanOrEqual(10_000);
    expect(retryWaitMs(1, DEFAULT_RETRY_BASE_MS, low)).toBeGreaterThan(0);
  });

  it("triples each wait, within ±20% jitter, up to six hours", () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryWaitMs(n, 5_000, middle))).toEqual([5_000, 15_000, 45_000, 135_000]);
    expect(retryWaitMs(3, 5_000, low)).toBe(36_000);
    expect(retryWaitMs(3, 5_000, high)).toBeCloseTo(54_000, -1);
    expect(retryWaitMs(30, 5_000, middle)).toBe(6 * 3_600_000);
  });

  it("spreads retries of the same failure apart", () => {
    const waits = new Set(Array.from({ length: 20 }, () => retryWaitMs(5, 5_000)));
    expect(waits.size).toBeGreaterThan(1);
  });

  it("gives up once the next attempt would fall more than 24 hours after the event was queued", () => {
    const queued = 1_000_000;
    let now = queued;
    let failures = 0;
    let next: number | null = queued;
    while (next !== null) {
      now = next;
      failures++;
      next = nextAttemptAt(queued, now, failures, DEFAULT_RETRY_BASE_MS, () => 0.5);
    }
    expect(now - queued).toBeLessThanOrEqual(RETRY_SPAN_MS);
    expect(now - queued).toBeGreaterThan(RETRY_SPAN_MS - 6 * 3_600_000);
    expect(failures).toBeGreaterThan(8);
  });
});
