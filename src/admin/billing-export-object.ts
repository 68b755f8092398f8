// Usage export (docs/billing.md): the admin API's schemas for its status and its resend call.
import { z } from "@hono/zod-openapi";
import type { BillingExportStatus } from "../billing/outbox";
import type { GatewayConfig } from "../config/settings";
import { redactedUrl } from "./webhook-object";

const iso = (ms: number) => new Date(ms).toISOString();

export const BillingExportStatusSchema = z
  .object({
    enabled: z.boolean(),
    vendor: z.enum(["stripe", "openmeter"]).nullable(),
    url: z.string().nullable(),
    eventName: z.string().nullable(),
    intervalSeconds: z.number().int().nullable(),
    closedThrough: z.string().nullable().openapi({ description: "End of the newest closed interval; null before the first." }),
    pending: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    failures: z
      .array(
        z.object({
          id: z.string(),
          identityId: z.string(),
          intervalStart: z.string(),
          attempts: z.number().int(),
          lastStatus: z.number().int().nullable(),
          lastError: z.string().nullable(),
          lastAttemptAt: z.string().nullable(),
        }),
      )
      .openapi({ description: "Failed events, and pending ones whose last attempt failed; newest first, at most 50." }),
    skipped: z.array(z.object({ identityId: z.string(), intervalStart: z.string(), reason: z.string() })).openapi({
      description: "Identities whose usage could not be exported (Stripe: no `stripeCustomerId` in metadata), with the newest interval.",
    }),
  })
  .openapi("BillingExportStatus");

export function toBillingExportStatus(billing: GatewayConfig["billing"], status: BillingExportStatus | undefined) {
  return {
    enabled: billing !== undefined,
    vendor: billing?.vendor ?? null,
    // Its query string, should it hold a credential, is shown as `?redacted` (as webhook URLs are).
    url: billing ? redactedUrl(billing.url) : null,
    eventName: billing?.eventName ?? null,
    intervalSeconds: billing ? billing.intervalMs / 1000 : null,
    closedThrough: status?.closedThrough == null ? null : iso(status.closedThrough),
    pending: status?.pending ?? 0,
    sent: status?.sent ?? 0,
    failed: status?.failed ?? 0,
    failures: (status?.failures ?? []).map((f) => ({
      ...f,
      intervalStart: iso(f.intervalStart),
      lastAttemptAt: f.lastAttemptAt === null ? null : iso(f.lastAttemptAt),
    })),
    skipped: (status?.skipped ?? []).map((s) => ({ ...s, intervalStart: iso(s.intervalStart) })),
  };
}

export const ResendBillingExportBody = z
  .object({
    from: z.iso.datetime({ offset: true }).openapi({ description: "Start (inclusive); the interval holding it is the first one sent." }),
    to: z.iso.datetime({ offset: true }).openapi({ description: "End (exclusive); only intervals closed by now are sent." }),
  })
  .openapi("ResendBillingExport");

export const ResendBillingExportResultSchema = z
  .object({
    intervals: z.number().int().openapi({ description: "Closed intervals queued again" }),
    events: z.number().int().openapi({ description: "Events queued, with the ids they had before" }),
    skipped: z.number().int().openapi({ description: "Identity-intervals not exported (see the status's `skipped`)" }),
  })
  .openapi("ResendBillingExportResult");
