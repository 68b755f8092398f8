// Time passing without sleeping, for workers tests: the test, the gateway it calls and the Durable
// Objects it reaches share one isolate, so moving that isolate's `Date` on moves all their clocks.
import { vi } from "vitest";

/**
 * Runs `body` with the isolate's clock `ms` ahead of real time (still ticking), then puts it back.
 * Only `Date` is faked: timers, I/O and alarms run as ever (drive an alarm with `runDurableObjectAlarm`).
 * State written inside carries future times, so use subjects (keys, IPs, identities) of this test only.
 */
export async function withClockAhead<T>(ms: number, body: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + ms, shouldAdvanceTime: true });
  try {
    return await body();
  } finally {
    vi.useRealTimers();
  }
}
