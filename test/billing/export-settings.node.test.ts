// The usage export's settings (docs/billing.md): validated with the rest of the config, each problem named.
import { describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config/settings";

const GATEWAY_ROUTES = "[]";
const billing = (vars: Record<string, unknown>) => {
  const result = buildConfig({ GATEWAY_ROUTES, ...vars });
  return result.ok ? result.config.billing : result.detail;
};

describe("usage export settings", () => {
  it("is off unless BILLING_EXPORT is set", () => {
    expect(billing({})).toBeUndefined();
    expect(billing({ BILLING_EXPORT_URL: "https://example.com/x" })).toBeUndefined();
  });

  it("sends to Stripe's v2 meter events by default, hourly, as event api_requests", () => {
    expect(billing({ BILLING_EXPORT: "stripe", BILLING_EXPORT_TOKEN: "sk_live_x" })).toEqual({
      vendor: "stripe",
      url: "https://api.stripe.com/v2/billing/meter_events",
      intervalMs: 3_600_000,
      eventName: "api_requests",
    });
  });

  it("takes an OpenMeter URL, a daily interval and an event name", () => {
    expect(
      billing({
        BILLING_EXPORT: "openmeter",
        BILLING_EXPORT_TOKEN: "om_x",
        BILLING_EXPORT_URL: "https://openmeter.cloud/api/v1/events",
        BILLING_EXPORT_INTERVAL_SECONDS: "86400",
        BILLING_EVENT_NAME: "gateway_requests",
      }),
    ).toEqual({ vendor: "openmeter", url: "https://openmeter.cloud/api/v1/events", intervalMs: 86_400_000, eventName: "gateway_requests" });
  });

  it("names each bad field", () => {
    expect(billing({ BILLING_EXPORT: "chargebee" })).toContain("BILLING_EXPORT");
    expect(billing({ BILLING_EXPORT: "openmeter", BILLING_EXPORT_TOKEN: "t" })).toContain("BILLING_EXPORT_URL: required");
    expect(billing({ BILLING_EXPORT: "stripe" })).toContain("BILLING_EXPORT_TOKEN");
    expect(billing({ BILLING_EXPORT: "stripe", BILLING_EXPORT_TOKEN: "t", BILLING_EXPORT_URL: "http://billing.example.com/x" })).toContain(
      "BILLING_EXPORT_URL",
    );
    expect(billing({ BILLING_EXPORT: "stripe", BILLING_EXPORT_TOKEN: "t", BILLING_EXPORT_INTERVAL_SECONDS: "1800" })).toContain(
      "BILLING_EXPORT_INTERVAL_SECONDS",
    );
    expect(billing({ BILLING_EXPORT: "stripe", BILLING_EXPORT_TOKEN: "t", BILLING_EXPORT_INTERVAL_SECONDS: "172800" })).toContain(
      "BILLING_EXPORT_INTERVAL_SECONDS",
    );
    expect(billing({ BILLING_EXPORT: "stripe", BILLING_EXPORT_TOKEN: "t", BILLING_EVENT_NAME: "has spaces" })).toContain(
      "BILLING_EVENT_NAME",
    );
  });
});
