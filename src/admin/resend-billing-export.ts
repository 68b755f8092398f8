// POST /_gateway/admin/billing/export: sends a span of closed intervals again, same ids (docs/billing.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { MAX_RESEND_INTERVALS, type ResendResult } from "../billing/outbox";
import { billingExport } from "../billing/outbox-client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, problem } from "../gateway/schemas";
import { requireScope } from "./auth";
import { ResendBillingExportBody, ResendBillingExportResultSchema } from "./billing-export-object";

export const resendBillingExportRoute = createRoute({
  method: "post",
  path: "/admin/billing/export",
  operationId: "resendBillingExport",
  tags: ["Billing"],
  summary: "Send a span of usage again",
  description: `Queues every closed interval in [from, to) again, counts read afresh from the usage rollups, each event with the id it had before (derived from identity and interval), so the vendor drops what it already counted. At most ${MAX_RESEND_INTERVALS} intervals per call.`,
  ...requireScope("operators:write"),
  request: { body: { required: true, content: { "application/json": { schema: ResendBillingExportBody } } } },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: ResendBillingExportResultSchema } } },
    409: problem("The usage export is off (`BILLING_EXPORT` is unset)."),
    ...bodyErrors,
    ...adminErrors,
  },
});

export const resendBillingExport: RouteHandler<typeof resendBillingExportRoute, GatewayEnv> = async (c) => {
  const billing = c.get("config").billing;
  if (!billing) throw new GatewayError("conflict", "The usage export is off: set BILLING_EXPORT (docs/billing.md).");
  const body = c.req.valid("json");
  const from = Date.parse(body.from);
  const to = Date.parse(body.to);
  if (from >= to) throw new GatewayError("invalid_request", "from: must be before to");
  if (to - from > MAX_RESEND_INTERVALS * billing.intervalMs)
    throw new GatewayError("invalid_request", `to: at most ${MAX_RESEND_INTERVALS} intervals after from`);
  let result: ResendResult | undefined;
  try {
    result = await billingExport(c.env).resend(from, to);
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The span could not be queued again; retry the call.", { cause: error });
  }
  return c.json(result ?? { intervals: 0, events: 0, skipped: 0 }, 202);
};
