// GET /_gateway/admin/keys/{id}/limits: a key's limits and quota and what is left of them, read from its deciding object
// through the one key verdict without consuming anything (docs/keys.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { QuotaStateSchema, RateLimitStateSchema } from "../gateway/me";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { getIdentityWithPlan } from "../identities/store";
import { toKeyRecord } from "../keys/record";
import { getKeyRow, getSecrets } from "../keys/store";
import { keyVerdict } from "../verdict/verdict";
import { requireScope } from "./auth";
import { currentSecret } from "./key-object";
import { KeyIdParam } from "./params";

export const KeyLimitsSchema = z
  .object({
    state: z
      .string()
      .openapi({ description: "`allowed`, or the error code the key's requests get now (e.g. `revoked_key`).", example: "allowed" }),
    rateLimits: z.array(RateLimitStateSchema).openapi({
      description:
        "The key's own limits, then its identity's (`identity.<name>`); routes may add theirs. Empty unless `state` is `allowed`.",
    }),
    quota: QuotaStateSchema.nullable(),
  })
  .openapi("KeyLimits");

export const keyLimitsRoute = createRoute({
  method: "get",
  path: "/admin/keys/{id}/limits",
  operationId: "getKeyLimits",
  tags: ["Keys"],
  summary: "A key's limits and what is left of them",
  description:
    "Read from the Durable Object deciding for the key (its identity's, when it has one), consuming nothing. Units leased to isolates count as used until they come back.",
  ...requireScope("keys:read"),
  request: { params: KeyIdParam },
  responses: {
    200: { description: "The key's limits now", content: { "application/json": { schema: KeyLimitsSchema } } },
    ...notFoundError,
    ...adminErrors,
  },
});

export const keyLimits: RouteHandler<typeof keyLimitsRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const [key, secrets] = await Promise.all([getKeyRow(db, id), getSecrets(db, id)]);
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  const joined = key.identityId === null ? undefined : await getIdentityWithPlan(db, key.identityId);
  const secret = currentSecret(secrets);
  // Judged on its current secret, read fresh from D1, as a request presenting it would be.
  const judged = await keyVerdict(c, {
    presented: {
      record: toKeyRecord(
        key,
        { id: secret?.id ?? "", expiresAt: secret?.expiresAt ?? null },
        joined?.identity ?? null,
        joined?.plan ?? null,
      ),
    },
    auth: "required",
    route: undefined,
    usageRoute: "/_gateway/admin/keys/limits",
    ip: undefined,
    cost: 0,
    scopes: [],
    mode: "read",
  });
  const policies = judged.refusal ? [] : (judged.decision?.policies ?? []);
  return c.json(
    {
      state: judged.refusal?.code ?? "allowed",
      rateLimits: policies.map(({ name, limit, window, remaining, reset }) => ({ name, limit, window, remaining, reset })),
      quota: judged.refusal ? null : (judged.decision?.quota ?? null),
    },
    200,
  );
};
