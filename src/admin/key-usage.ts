// GET /_gateway/admin/keys/{id}/usage: a key's requests per UTC hour or day by outcome, from its Durable Object
// (docs/keys.md § Usage and audit); the bucket schema and query are shared with identity and portal usage.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import type { KeyRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { getKeyRow } from "../keys/store";
import { limiterClient } from "../ratelimit/client";
import { type Granularity, HOUR_MS, rollUp } from "../usage/hourly";
import { requireScope } from "./auth";
import { KeyIdParam } from "./params";
import { usageSpan, usageTime } from "./usage-span";

export const UsageBucketSchema = z
  .object({
    start: z.string().openapi({ description: "The bucket's first instant (UTC).", example: "2027-01-01T00:00:00.000Z" }),
    allowed: z.number().int(),
    rateLimited: z.number().int(),
    quotaExceeded: z.number().int(),
  })
  .openapi("UsageBucket");

/** The span and granularity of a usage-over-time call. */
export const usageQuery = z.object({
  from: usageTime("from", "Start (inclusive); must be before `to`. Default: one day (hour) or 30 days (day) before `to`."),
  to: usageTime("to", "End (exclusive); must be after `from`. Default now."),
  granularity: z
    .enum(["hour", "day"])
    .default("hour")
    .openapi({ param: { name: "granularity", in: "query" } }),
});

export const keyUsageRoute = createRoute({
  method: "get",
  path: "/admin/keys/{id}/usage",
  operationId: "getKeyUsage",
  tags: ["Keys"],
  summary: "A key's usage over time",
  description:
    "Requests per UTC hour or day by outcome, counted by the key's Durable Object as it decides them. Every bucket in [from, to) is listed, empty ones as zeros. Spans up to 31 days by hour, 400 days by day.",
  ...requireScope("usage:read"),
  request: { params: KeyIdParam, query: usageQuery },
  responses: {
    200: {
      description: "Usage buckets, oldest first",
      content: { "application/json": { schema: z.object({ buckets: z.array(UsageBucketSchema) }).openapi("KeyUsage") } },
    },
    ...notFoundError,
    ...adminErrors,
  },
});

export const keyUsage: RouteHandler<typeof keyUsageRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const granularity = query.granularity;
  const { from, to } = usageSpan(query, granularity);
  const key = await getKeyRow(database(c.env.DB), id);
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  return c.json({ buckets: await keyUsageBuckets(c, key, from, to, granularity) }, 200);
};

/** A key's usage buckets in [from, to), as the API shows them; the admin and the portal usage share it. */
export async function keyUsageBuckets<E extends GatewayEnv>(
  c: Context<E>,
  key: Pick<KeyRow, "id" | "identityId">,
  from: number,
  to: number,
  granularity: Granularity,
): Promise<{ start: string; allowed: number; rateLimited: number; quotaExceeded: number }[]> {
  // Counted by the key's object while it was on its own, by its identity's object since it joined.
  const limiter = limiterClient(c);
  const since = from - (from % HOUR_MS);
  const hours = (
    await Promise.all([
      limiter.usageBetween(key.id, since, to),
      ...(key.identityId === null ? [] : [limiter.usageBetween(key.id, since, to, key.identityId)]),
    ])
  ).flat();
  return rollUp(hours, from, to, granularity).map((bucket) => ({ ...bucket, start: new Date(bucket.start).toISOString() }));
}
