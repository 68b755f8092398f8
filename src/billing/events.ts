// Usage export to billing (docs/billing.md), the pure part: which intervals are closed, each event's
// id, and the body Stripe or OpenMeter takes. The outbox object (export.ts) stores and sends them.

export type BillingVendor = "stripe" | "openmeter";

export interface BillingExportSettings {
  vendor: BillingVendor;
  url: string;
  intervalMs: number;
  /** Stripe's meter `event_name`, OpenMeter's event `type`. */
  eventName: string;
}

/** One identity's count in one closed interval, as the usage rollups hold it. */
export interface IntervalUsage {
  identityId: string;
  externalId: string;
  metadata: Record<string, unknown>;
  /** Epoch ms, [start, end). */
  start: number;
  end: number;
  requests: number;
}

/** One event ready to send: its id, its JSON body. */
export interface BillingEvent {
  id: string;
  identityId: string;
  intervalStart: number;
  body: string;
}

export const STRIPE_DEFAULT_URL = "https://api.stripe.com/v2/billing/meter_events";
/** The CloudEvents `source` of every event: stable, since OpenMeter deduplicates on (source, id). */
export const CLOUDEVENTS_SOURCE = "urn:edge-api-gateway:usage";
/** An interval closes this long after its end: the key objects copy their counts to D1 within a minute. */
export const SETTLE_MS = 5 * 60_000;

/** The start of the interval holding `at` (intervals are aligned to the Unix epoch, so days to UTC midnight). */
export const intervalStart = (at: number, intervalMs: number) => at - (((at % intervalMs) + intervalMs) % intervalMs);

/** The end of the newest interval that is closed at `now` (it ended at least SETTLE_MS ago). */
export const closedThrough = (now: number, intervalMs: number) => intervalStart(now - SETTLE_MS, intervalMs);

/** Starts of the intervals that overlap [from, to) and are closed at `now`, oldest first, at most `max`. */
export function intervalsBetween(from: number, to: number, now: number, intervalMs: number, max: number): number[] {
  const starts: number[] = [];
  const closed = closedThrough(now, intervalMs);
  for (let start = intervalStart(from, intervalMs); start < to && start + intervalMs <= closed && starts.length < max; start += intervalMs)
    starts.push(start);
  return starts;
}

/**
 * The event id: the same for the same (identity, interval), whenever and however often it is sent,
 * so the vendor drops a resend as a duplicate. The interval's length is part of it, so changing the
 * interval setting never reuses an id for a different count.
 */
export const eventId = (identityId: string, start: number, intervalMs: number) =>
  `usage_${identityId}_${start / 1000}_${intervalMs / 1000}`;

/** Why an identity's usage was not exported (shown in the export status). */
export type SkipReason = "no_stripe_customer_id";

/** The event for one identity and interval, or why there is none. */
export function billingEvent(settings: BillingExportSettings, usage: IntervalUsage): { event: BillingEvent } | { skipped: SkipReason } {
  const id = eventId(usage.identityId, usage.start, settings.intervalMs);
  // Stamped at the interval's last second: the vendor files the count inside the interval it belongs to.
  const time = new Date(usage.end - 1000).toISOString().replace(".000Z", "Z");
  const base = { id, identityId: usage.identityId, intervalStart: usage.start };
  if (settings.vendor === "stripe") {
    const customer = usage.metadata.stripeCustomerId;
    if (typeof customer !== "string" || customer === "") return { skipped: "no_stripe_customer_id" };
    // Stripe's v2 meter event: payload values are strings.
    const body = {
      event_name: settings.eventName,
      identifier: id,
      timestamp: time,
      payload: { stripe_customer_id: customer, value: String(usage.requests) },
    };
    return { event: { ...base, body: JSON.stringify(body) } };
  }
  const body = {
    specversion: "1.0",
    id,
    source: CLOUDEVENTS_SOURCE,
    type: settings.eventName,
    subject: usage.externalId,
    time,
    datacontenttype: "application/json",
    data: { requests: usage.requests },
  };
  return { event: { ...base, body: JSON.stringify(body) } };
}

/** The request that sends one event, with the vendor's headers. */
export function eventRequest(settings: BillingExportSettings, token: string, body: string): RequestInit {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "user-agent": "edge-api-gateway-billing" };
  if (settings.vendor === "stripe") {
    headers["content-type"] = "application/json";
    headers["stripe-version"] = STRIPE_API_VERSION;
  } else headers["content-type"] = "application/cloudevents+json";
  return { method: "POST", headers, body, redirect: "manual" };
}

/** The Stripe API version the v2 meter event endpoint is called with. */
export const STRIPE_API_VERSION = "2025-03-31.basil";

/**
 * Whether a failed answer is worth retrying: timeouts, throttling and server errors are; any other
 * 4xx means the event itself was refused, and sending it again would be refused alike.
 */
export const retryable = (status: number | null) => status === null || status === 408 || status === 429 || status >= 500;
