// GET /_gateway/admin/identities/{id}/usage: all its keys' requests per hour or day by outcome, from the identity's
// Durable Object (docs/identities.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors } from "../gateway/schemas";
import { getIdentityRow } from "../identities/store";
import { limiterClient } from "../ratelimit/client";
import { HOUR_MS, rollUp } from "../usage/hourly";
import { requireScope } from "./auth";
import { noIdentityError } from "./get-identity";
import { IdentityIdParam } from "./identity-object";
import { UsageBucketSchema, usageQuery } from "./key-usage";
import { usageSpan } from "./usage-span";

export const identityUsageRoute = createRoute({
  method: "get",
  path: "/admin/identities/{id}/usage",
  operationId: "getIdentityUsage",
  tags: ["Identities"],
  summary: "An identity's usage over time",
  description:
    "Requests of all its keys per UTC hour or day by outcome, counted by the identity's Durable Object as it decides them (from when each key joined). Every bucket in [from, to) is listed, empty ones as zeros.",
  ...requireScope("usage:read"),
  request: { params: IdentityIdParam, query: usageQuery },
  responses: {
    200: {
      description: "Usage buckets, oldest first",
      content: { "application/json": { schema: z.object({ buckets: z.array(UsageBucketSchema) }).openapi("IdentityUsage") } },
    },
    ...noIdentityError,
    ...adminErrors,
  },
});

export const identityUsage: RouteHandler<typeof identityUsageRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const { from, to } = usageSpan(query, query.granularity);
  if (!(await getIdentityRow(database(c.env.DB), id))) throw new GatewayError("not_found", `No identity with id ${id}.`);
  const hours = await limiterClient(c).identityUsageBetween(id, from - (from % HOUR_MS), to);
  const buckets = rollUp(hours, from, to, query.granularity).map((bucket) => ({ ...bucket, start: new Date(bucket.start).toISOString() }));
  return c.json({ buckets }, 200);
};
