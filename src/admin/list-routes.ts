// GET /_gateway/admin/routes: the routes the gateway is configured with (GATEWAY_ROUTES), read-only,
// so tools can check the route paths of per-route limits (docs/routes.md "Routes over the admin API").
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { rateLimitsSchema } from "../config/schema";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { requireScope } from "./auth";

/** What a route is to its callers; upstreams and their headers (which may hold secrets) stay out. */
const RouteObjectSchema = z
  .object({
    path: z.string().openapi({ description: "As configured: an exact path, or a prefix ending in `*`.", example: "/v1/*" }),
    methods: z.array(z.string()).nullable().openapi({ description: "The methods it answers; null for all." }),
    auth: z.enum(["required", "optional", "none"]),
    scopes: z.array(z.string()).openapi({ description: "Scopes a key needs on this route." }),
    rateLimits: rateLimitsSchema.openapi({ description: "Limits the route adds, counted per key on this route." }),
    cost: z.number().int().openapi({ description: "What one request spends of a key's limits and quota." }),
  })
  .openapi("GatewayRoute");

export const listRoutesRoute = createRoute({
  method: "get",
  path: "/admin/routes",
  operationId: "listRoutes",
  tags: ["Routes"],
  summary: "List the configured routes",
  description:
    "The routes of `GATEWAY_ROUTES`, in the order configured. Read-only: routes change with the configuration, not through the API. A key's `routeRateLimits` name routes by their `path` as listed here.",
  ...requireScope("keys:read"),
  responses: {
    200: {
      description: "Every configured route",
      content: { "application/json": { schema: z.object({ items: z.array(RouteObjectSchema) }).openapi("RouteList") } },
    },
    ...adminErrors,
  },
});

export const listRoutes: RouteHandler<typeof listRoutesRoute, GatewayEnv> = (c) =>
  c.json(
    {
      items: c.get("config").routes.map((route) => ({
        path: route.path,
        methods: route.methods ?? null,
        auth: route.auth,
        scopes: route.scopes,
        rateLimits: route.rateLimits,
        cost: route.cost,
      })),
    },
    200,
  );
