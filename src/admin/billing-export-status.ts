// GET /_gateway/admin/billing/export: the usage export's status (docs/billing.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { billingExport } from "../billing/outbox-client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors } from "../gateway/schemas";
import { requireScope } from "./auth";
import { BillingExportStatusSchema, toBillingExportStatus } from "./billing-export-object";

export const billingExportStatusRoute = createRoute({
  method: "get",
  path: "/admin/billing/export",
  operationId: "getBillingExport",
  tags: ["Billing"],
  summary: "Usage export status",
  description:
    "The usage export to Stripe or OpenMeter (`BILLING_EXPORT`): the newest closed interval, events pending, sent and failed, recent failures, and identities skipped.",
  ...requireScope("usage:read"),
  responses: {
    200: { description: "The export's status", content: { "application/json": { schema: BillingExportStatusSchema } } },
    ...adminErrors,
  },
});

export const billingExportStatus: RouteHandler<typeof billingExportStatusRoute, GatewayEnv> = async (c) => {
  const billing = c.get("config").billing;
  if (!billing) return c.json(toBillingExportStatus(undefined, undefined), 200);
  try {
    return c.json(toBillingExportStatus(billing, await billingExport(c.env).status()), 200);
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The export's outbox could not be reached; retry the call.", { cause: error });
  }
};
