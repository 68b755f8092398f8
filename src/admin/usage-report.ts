// GET /_gateway/admin/usage: all keys' usage in one call, grouped by key, route, outcome or identity,
// 401s included in the totals and the route and outcome groups (docs/usage.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { readUsageReport } from "../usage/rollups";
import { requireScope } from "./auth";
import { UsageBucketSchema } from "./key-usage";
import { usageSpan, usageTime } from "./usage-span";

const MAX_KEY_IDS = 100;

const unauthorized = z.number().int().openapi({
  description:
    "Requests refused with 401 (`missing_key`, `invalid_key`, `expired_key`, `revoked_key`, `disabled_key`): counted by route, never for a key, so always 0 in key and identity groups and in a report of `keyIds`.",
});

export const UsageCountsSchema = z
  .object({ allowed: z.number().int(), rateLimited: z.number().int(), quotaExceeded: z.number().int(), unauthorized })
  .openapi("UsageCounts");

const ReportBucketSchema = UsageBucketSchema.extend({ unauthorized }).openapi("UsageReportBucket");

export const UsageGroupSchema = z
  .object({
    group: z.string().openapi({
      description:
        "groupBy=key: the key id; route: the route's `path` as configured (`unknown` for traffic counted before routes were recorded); outcome: `allowed`, `rate_limited`, `quota_exceeded` or `unauthorized`; identity: the id of the identity the keys belong to now.",
      example: "key_3ZbV8kq1t4NfW2xYpQ7mHs",
    }),
    name: z.string().nullable().optional().openapi({
      description: "groupBy=key and identity only: the key's or identity's name (null for one no longer stored, or without a name).",
    }),
    total: UsageCountsSchema,
    buckets: z.array(ReportBucketSchema).openapi({ description: "Every bucket of [from, to), oldest first, empty ones as zeros." }),
  })
  .openapi("UsageGroup");

export const UsageReportSchema = z
  .object({
    from: z.string().openapi({ description: "The first bucket's start (UTC).", example: "2027-01-01T00:00:00.000Z" }),
    to: z.string().openapi({ description: "End of the span (exclusive)." }),
    granularity: z.enum(["hour", "day"]),
    groupBy: z.enum(["key", "outcome", "route", "identity"]),
    totals: z
      .array(ReportBucketSchema)
      .openapi({ description: "All traffic the query matched, per bucket, whatever the group: the 401s too (unless `keyIds` is given)." }),
    groups: z.array(UsageGroupSchema).openapi({
      description:
        "Busiest first (by total requests), at most `limit`. groupBy=outcome: always the four outcomes, each bucket counting only its own.",
    }),
    otherGroups: z.number().int().openapi({ description: "Groups with traffic beyond `limit`: counted in `totals` only." }),
  })
  .openapi("UsageReport");

export type UsageReport = z.infer<typeof UsageReportSchema>;

export const usageReportRoute = createRoute({
  method: "get",
  path: "/admin/usage",
  operationId: "usageReport",
  tags: ["Usage"],
  summary: "Usage of all keys",
  description:
    "Requests per UTC hour or day by outcome, for all keys in one call, grouped by key, route, outcome or identity (the one each key belongs to now). Read from rollups each key's Durable Object copies to D1 off the request path, at most a minute behind. Requests refused with 401 belong to no key: they count (as `unauthorized`, a few seconds behind) in the totals and by route and outcome, never for a key or identity. Spans up to 31 days by hour, 400 days by day.",
  ...requireScope("usage:read"),
  request: {
    query: z.object({
      from: usageTime("from", "Start (inclusive); default: one day (hour) or 30 days (day) before `to`."),
      to: usageTime("to", "End (exclusive); default now."),
      granularity: z
        .enum(["hour", "day"])
        .default("hour")
        .openapi({ param: { name: "granularity", in: "query" } }),
      groupBy: z
        .enum(["key", "outcome", "route", "identity"])
        .default("outcome")
        .openapi({ param: { name: "groupBy", in: "query" } }),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .openapi({
          param: { name: "limit", in: "query" },
          type: "integer",
          minimum: 1,
          maximum: 100,
          default: 10,
          description: "Most groups to list, 1–100 (default 10).",
          example: 10,
        }),
      keyIds: z
        .string()
        .regex(/^[^,]{1,64}(,[^,]{1,64})*$/, "comma-separated key ids")
        .refine((value) => value.split(",").length <= MAX_KEY_IDS, `at most ${MAX_KEY_IDS} key ids`)
        .optional()
        .openapi({
          param: { name: "keyIds", in: "query" },
          description: "Only these keys (comma-separated, at most 100): e.g. the keys on one page of a list.",
        }),
    }),
  },
  responses: {
    200: { description: "Usage by group, oldest bucket first", content: { "application/json": { schema: UsageReportSchema } } },
    ...adminErrors,
  },
});

export const usageReport: RouteHandler<typeof usageReportRoute, GatewayEnv> = async (c) => {
  const query = c.req.valid("query");
  const { granularity, groupBy, limit } = query;
  const { from, to } = usageSpan(query, granularity);
  const report = await readUsageReport(database(c.env.DB), {
    from,
    to,
    granularity,
    groupBy,
    limit,
    ...(query.keyIds !== undefined && { keyIds: query.keyIds.split(",") }),
  });
  return c.json(report, 200);
};
