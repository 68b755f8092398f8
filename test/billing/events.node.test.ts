// The usage export's pure part (src/billing/events.ts): closed intervals, ids, vendor bodies.
import { describe, expect, it } from "vitest";
import { type BillingExportSettings, billingEvent, closedThrough, eventId, intervalsBetween, retryable } from "../../src/billing/events";

const HOUR = 3_600_000;
const T = Date.UTC(2026, 11, 3, 10, 0, 0);
const stripe: BillingExportSettings = {
  vendor: "stripe",
  url: "https://api.stripe.com/v2/billing/meter_events",
  intervalMs: HOUR,
  eventName: "api_requests",
};
const usage = { identityId: "idt_1", externalId: "org-1", metadata: { stripeCustomerId: "cus_1" }, start: T - HOUR, end: T, requests: 42 };

describe("billing intervals", () => {
  it("closes an interval five minutes after its end, so the key objects' last copy to D1 is in", () => {
    expect(closedThrough(T + 4 * 60_000, HOUR)).toBe(T - HOUR);
    expect(closedThrough(T + 5 * 60_000, HOUR)).toBe(T);
  });

  it("lists the closed intervals that overlap a span, aligned to the epoch (days to UTC midnight), at most max", () => {
    expect(intervalsBetween(T - 3 * HOUR + 1, T + HOUR, T + 10 * 60_000, HOUR, 10)).toEqual([T - 3 * HOUR, T - 2 * HOUR, T - HOUR]);
    expect(intervalsBetween(T - 3 * HOUR, T, T + 10 * 60_000, HOUR, 2)).toEqual([T - 3 * HOUR, T - 2 * HOUR]);
    expect(intervalsBetween(T - 1, T + 1, T + 10 * 60_000, 24 * HOUR, 10)).toEqual([]);
    expect(intervalsBetween(T - 2 * HOUR, T - HOUR + 1, T + 10 * 60_000, HOUR, 10)).toEqual([T - 2 * HOUR, T - HOUR]);
    expect(intervalsBetween(T - 24 * HOUR, T, Date.UTC(2026, 11, 4, 0, 6), 24 * HOUR, 10)).toEqual([
      Date.UTC(2026, 11, 2),
      Date.UTC(2026, 11, 3),
    ]);
  });
});

describe("billing events", () => {
  it("derives the id from identity, interval start and length only", () => {
    expect(eventId("idt_1", T, HOUR)).toBe(eventId("idt_1", T, HOUR));
    expect(eventId("idt_1", T, HOUR)).not.toBe(eventId("idt_1", T, 2 * HOUR));
    expect(eventId("idt_1", T, HOUR)).not.toBe(eventId("idt_2", T, HOUR));
    const a = billingEvent(stripe, usage);
    const b = billingEvent(stripe, { ...usage, requests: 43 });
    expect("event" in a && "event" in b && a.event.id === b.event.id).toBe(true);
  });

  it("makes a Stripe v2 meter event with string payload values, stamped inside the interval", () => {
    const made = billingEvent(stripe, usage);
    expect("event" in made && JSON.parse(made.event.body)).toEqual({
      event_name: "api_requests",
      identifier: eventId("idt_1", T - HOUR, HOUR),
      timestamp: "2026-12-03T09:59:59Z",
      payload: { stripe_customer_id: "cus_1", value: "42" },
    });
  });

  it("skips an identity with no stripeCustomerId", () => {
    expect(billingEvent(stripe, { ...usage, metadata: {} })).toEqual({ skipped: "no_stripe_customer_id" });
    expect(billingEvent(stripe, { ...usage, metadata: { stripeCustomerId: 7 } })).toEqual({ skipped: "no_stripe_customer_id" });
  });

  it("makes a CloudEvent for OpenMeter with the external id as subject", () => {
    const made = billingEvent({ ...stripe, vendor: "openmeter", eventName: "gateway_requests" }, { ...usage, metadata: {} });
    expect("event" in made && JSON.parse(made.event.body)).toMatchObject({
      specversion: "1.0",
      id: eventId("idt_1", T - HOUR, HOUR),
      type: "gateway_requests",
      subject: "org-1",
      time: "2026-12-03T09:59:59Z",
      data: { requests: 42 },
    });
  });

  it("retries timeouts, throttling and server errors, not a refused event", () => {
    expect([null, 408, 429, 500, 503].every(retryable)).toBe(true);
    expect([400, 401, 404, 422].some(retryable)).toBe(false);
  });
});
