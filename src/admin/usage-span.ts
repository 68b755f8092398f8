// The [from, to) span of a usage call and its bounds (31 days by hour, 400 by day), shared by every usage route.
import { z } from "@hono/zod-openapi";
import { GatewayError } from "../errors";
import { DAY_MS } from "../usage/hourly";

export type Granularity = "hour" | "day";

/** Bounds on one usage answer's size: 31 days of hours, 400 days of days. */
const MAX_SPAN_MS = { hour: 31 * DAY_MS, day: 400 * DAY_MS } as const;
const DEFAULT_SPAN_MS = { hour: DAY_MS, day: 30 * DAY_MS } as const;

/** A `from`/`to` query parameter (ISO-8601 with offset); no example, which "Try it" would send as an empty span. */
export const usageTime = (name: string, description: string) =>
  z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name, in: "query" }, description });

/** The [from, to) span a usage call asks for (epoch ms), with its defaults; refused when reversed or too long. */
export function usageSpan(
  query: { from?: string | undefined; to?: string | undefined },
  granularity: Granularity,
): { from: number; to: number } {
  const to = query.to ? Date.parse(query.to) : Date.now() + 1;
  const from = query.from ? Date.parse(query.from) : to - DEFAULT_SPAN_MS[granularity];
  if (from >= to) throw new GatewayError("invalid_request", "from: must be before to");
  if (to - from > MAX_SPAN_MS[granularity]) {
    throw new GatewayError(
      "invalid_request",
      `to: at most ${MAX_SPAN_MS[granularity] / DAY_MS} days after from at granularity ${granularity}`,
    );
  }
  return { from, to };
}
