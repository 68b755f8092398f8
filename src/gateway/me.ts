// GET /_gateway/me: the calling key, its limits and quota as they stand, without spending any (docs/keys.md § What a client can see).
// The limit and quota state schemas are shared with /verify and the key-limits route.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { rateLimitSchema } from "../config/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { clientIp } from "../http/client-ip";
import { presentedCredentials } from "../keys/credentials";
import { QuotaSchema } from "../keys/quota";
import { keyVerdict } from "../verdict/verdict";
import { clientSecurity, problem } from "./schemas";

/** A rate limit with what is left of it now (the policy's own fields spread in: `allOf` with a closed RateLimit would admit nothing). */
export const RateLimitStateSchema = z
  .object({
    ...rateLimitSchema.shape,
    remaining: z.number().int(),
    reset: z.number().int().openapi({ description: "Seconds until one more request is allowed back." }),
  })
  .openapi("RateLimitState");

/** A quota with what is used and left of it in the current period. */
export const QuotaStateSchema = z
  .object({
    ...QuotaSchema.shape,
    used: z.number().int(),
    remaining: z.number().int(),
    reset: z.number().int().nullable().openapi({ description: "Seconds until the UTC period ends; null for `total`." }),
  })
  .openapi("QuotaState");

export const MeSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.string().nullable(),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable().openapi({ description: "When this key (or, after a rotation, this secret) stops working." }),
    rateLimits: z.array(RateLimitStateSchema),
    quota: QuotaStateSchema.nullable(),
  })
  .openapi("Me");

export const meRoute = createRoute({
  method: "get",
  path: "/me",
  operationId: "getMe",
  tags: ["Gateway"],
  summary: "The calling key",
  description: "The key presented with the request, its rate limits and quota as they stand. Costs no rate limit or quota.",
  security: clientSecurity,
  responses: {
    200: { description: "The calling key", content: { "application/json": { schema: MeSchema } } },
    401: problem("Missing, malformed, unknown, expired, revoked or disabled key."),
    403: problem("The client IP is not in the key's allowlist."),
    503: problem("The key's Durable Object could not be reached."),
  },
});

export const me: RouteHandler<typeof meRoute, GatewayEnv> = async (c) => {
  const judged = await keyVerdict(c, {
    presented: [...presentedCredentials(c.req.raw, c.get("config").credentialSources)],
    auth: "required",
    route: undefined,
    usageRoute: "/_gateway/me",
    ip: clientIp(c.req.raw),
    cost: 0,
    scopes: [],
    mode: "read",
  });
  if (judged.refusal) throw judged.refusal;
  // Admitted in read mode without a route (so never fail-open): the key and its object's answer are there.
  const { key: record, decision } = judged;
  if (!record || !decision) throw new GatewayError("internal_error");
  const expiresAt = judged.expiresAt ?? null;
  return c.json(
    {
      id: record.id,
      name: record.name,
      owner: record.owner,
      scopes: record.scopes,
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      rateLimits: decision.policies.map(({ name, limit, window, remaining, reset }) => ({ name, limit, window, remaining, reset })),
      quota: decision.quota ?? null,
    },
    200,
  );
};
