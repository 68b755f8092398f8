// GET /_gateway/portal/api/me: the signed-in customer, their plan, and what is left of its limits now.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { rateLimitSchema } from "../../config/schema";
import type { PortalEnv } from "../../env";
import { QuotaStateSchema, RateLimitStateSchema } from "../../gateway/me";
import { QuotaSchema } from "../../keys/quota";
import { customerIdentity, customerLimitsNow } from "./limits";
import { portalErrors, portalSecurity } from "./schemas";

export const PortalPlanSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    rateLimits: z.array(rateLimitSchema),
    quota: z.union([QuotaSchema, z.null()]),
    allowedScopes: z.array(z.string()).nullable().openapi({ description: "Scopes a key may be given; null: any." }),
    maxKeys: z.number().int().nullable().openapi({ description: "Live keys the customer may hold at once; null: no limit." }),
  })
  .openapi("PortalPlan");

export const PortalMeSchema = z
  .object({
    identityId: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    plan: z.union([PortalPlanSchema, z.null()]),
    ratelimits: z.array(RateLimitStateSchema).openapi({ description: "The limits all the customer's keys share, with what is left now." }),
    quota: z.union([QuotaStateSchema, z.null()]),
  })
  .openapi("PortalMe");

export const getMeRoute = createRoute({
  method: "get",
  path: "/me",
  operationId: "getPortalMe",
  tags: ["Portal"],
  summary: "The signed-in customer",
  description: "The customer, their plan and the limits and quota all their keys share, with what is left of them now. Spends nothing.",
  security: portalSecurity,
  responses: {
    200: { description: "The customer", content: { "application/json": { schema: PortalMeSchema } } },
    401: portalErrors[401],
    503: portalErrors[503],
  },
});

export const getMe: RouteHandler<typeof getMeRoute, PortalEnv> = async (c) => {
  const customer = c.get("customer");
  const { identity, plan } = await customerIdentity(c);
  const now = await customerLimitsNow(c, identity, plan);
  return c.json(
    {
      identityId: customer.identityId,
      email: customer.email,
      name: customer.name,
      plan: plan && {
        id: plan.id,
        name: plan.name,
        rateLimits: plan.rateLimits,
        quota: plan.quota ?? null,
        allowedScopes: plan.allowedScopes ?? null,
        maxKeys: plan.maxKeys ?? null,
      },
      ratelimits: now.rateLimits,
      quota: now.quota,
    },
    200,
  );
};
