// The quota a key, identity or plan may carry: one zod schema for the admin API, /me, OpenAPI and D1.
import { z } from "@hono/zod-openapi";

/** The quota a key may carry: one schema for the admin API, /me, the OpenAPI document and the DB column's type. */
export const QuotaPeriodSchema = z
  .enum(["day", "month", "total"])
  .openapi("QuotaPeriod", { description: "The UTC day, the UTC month, or the key's whole life." });

export const QuotaSchema = z
  .object({
    limit: z.number().int().min(1).max(1_000_000_000_000).openapi({ example: 10_000 }),
    period: QuotaPeriodSchema,
  })
  .strict()
  .openapi("Quota");

export type QuotaSpec = z.infer<typeof QuotaSchema>;
