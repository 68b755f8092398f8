// GET /_gateway/portal/api/usage: the customer's usage over time, all their keys or one of them.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { keyUsageBuckets, UsageBucketSchema, usageQuery } from "../../admin/key-usage";
import { usageSpan } from "../../admin/usage-span";
import type { PortalEnv } from "../../env";
import { limiterClient } from "../../ratelimit/client";
import { HOUR_MS, rollUp } from "../../usage/hourly";
import { ownKey } from "./customer";
import { portalErrors, portalNotFound, portalSecurity } from "./schemas";

export const PortalUsageQuery = usageQuery.extend({
  keyId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "keyId", in: "query" }, description: "One of your keys; all of them when absent." }),
});

export const usageRoute = createRoute({
  method: "get",
  path: "/usage",
  operationId: "getPortalUsage",
  tags: ["Portal"],
  summary: "Your usage over time",
  description:
    "Requests per UTC hour or day by outcome, of all your keys or of `keyId`. Every bucket in [from, to) is listed, empty ones as zeros.",
  security: portalSecurity,
  request: { query: PortalUsageQuery },
  responses: {
    200: {
      description: "Usage buckets, oldest first",
      content: { "application/json": { schema: z.object({ buckets: z.array(UsageBucketSchema) }).openapi("PortalUsage") } },
    },
    ...portalNotFound,
    ...portalErrors,
  },
});

export const usage: RouteHandler<typeof usageRoute, PortalEnv> = async (c) => {
  const query = c.req.valid("query");
  const { from, to } = usageSpan(query, query.granularity);
  if (query.keyId !== undefined) {
    const key = await ownKey(c, query.keyId);
    return c.json({ buckets: await keyUsageBuckets(c, key, from, to, query.granularity) }, 200);
  }
  // Counted by the identity's object for every key of it (a customer's keys belong to it from creation).
  const hours = await limiterClient(c).identityUsageBetween(c.get("customer").identityId, from - (from % HOUR_MS), to);
  const buckets = rollUp(hours, from, to, query.granularity).map((bucket) => ({ ...bucket, start: new Date(bucket.start).toISOString() }));
  return c.json({ buckets }, 200);
};
