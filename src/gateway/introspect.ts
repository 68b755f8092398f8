/**
 * RFC 7662 token introspection of a client key (docs/verify.md § Introspection): for resource servers that
 * speak OAuth. Read-only: the one key verdict in `read` mode at cost 0, so nothing is spent or counted.
 */
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { requireScope } from "../admin/auth";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { getIdentityRow } from "../identities/store";
import type { KeyRecord } from "../keys/record";
import { keyVerdict, type Verdict } from "../verdict/verdict";
import { adminErrors, problem } from "./schemas";

/** Where introspection would count usage and hold leases, were it to: it never does (read mode). */
const INTROSPECT_ROUTE_LABEL = "/_gateway/introspect";

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded(;|$)/i;

export const IntrospectBody = z
  .object({
    token: z.string().min(1).max(1024).openapi({ description: "The key to introspect." }),
    token_type_hint: z.string().max(100).optional().openapi({ description: "Ignored: every token here is an API key (RFC 7662 §2.1)." }),
  })
  .openapi("IntrospectRequest");

export const IntrospectionSchema = z
  .object({
    active: z.boolean(),
    scope: z.string().optional().openapi({ description: "The key's scopes, space-separated." }),
    exp: z
      .number()
      .int()
      .optional()
      .openapi({ description: "When the key (or this secret of a rotated key) expires: seconds since the epoch." }),
    client_id: z.string().optional().openapi({ description: "The key's id." }),
    sub: z.string().optional().openapi({ description: "The key's identity's `externalId`, else its `owner`." }),
    token_type: z.literal("api_key").optional(),
  })
  .openapi("Introspection", {
    description: "`{active: false}` alone for a malformed, unknown, revoked, expired or disabled key.",
  });

type Introspection = z.infer<typeof IntrospectionSchema>;

/** RFC 7662 takes a form body: anything else is refused before the body is read, with what to send instead. */
const formOnly = createMiddleware<GatewayEnv>(async function formOnly(c, next) {
  if (!FORM_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new GatewayError(
      "unsupported_media_type",
      'The body must be a form: send "token=<key>" with "Content-Type: application/x-www-form-urlencoded".',
    );
  }
  await next();
});

const scope = requireScope("keys:verify");

export const introspectRoute = createRoute({
  method: "post",
  path: "/introspect",
  operationId: "introspectKey",
  tags: ["Gateway"],
  summary: "Introspect a key (RFC 7662)",
  description:
    "Whether a key is active, with its scopes, expiry, id and subject, as RFC 7662 token introspection answers. Read-only: no rate limit, quota or usage is spent. Always 200 for a well-formed request; `active` says the outcome.",
  security: scope.security,
  middleware: [...scope.middleware, formOnly],
  request: {
    body: { required: true, content: { "application/x-www-form-urlencoded": { schema: IntrospectBody } } },
  },
  responses: {
    200: { description: "The introspection", content: { "application/json": { schema: IntrospectionSchema } } },
    ...adminErrors,
    415: problem("The body is not `application/x-www-form-urlencoded` (`unsupported_media_type`)."),
  },
});

/** A key is active while it is valid: a spent rate limit or quota leaves it so (it works again later). */
function activeKey(judged: Verdict): KeyRecord | undefined {
  const code = judged.refusal?.code;
  if (code !== undefined && code !== "rate_limited" && code !== "quota_exceeded") return undefined;
  return judged.record;
}

export const introspect: RouteHandler<typeof introspectRoute, GatewayEnv> = async (c) => {
  const { token } = c.req.valid("form");
  const judged = await keyVerdict(c, {
    presented: [{ value: token }],
    auth: "required",
    route: undefined,
    usageRoute: INTROSPECT_ROUTE_LABEL,
    ip: undefined,
    cost: 0,
    scopes: [],
    mode: "read",
  });
  const record = activeKey(judged);
  if (!record) return c.json({ active: false } satisfies Introspection, 200);
  const identity = record.identity ? await getIdentityRow(database(c.env.DB), record.identity.id) : undefined;
  const sub = identity?.externalId ?? record.owner ?? undefined;
  // The deciding object's word when it was asked; else the record's.
  const expiresAt = judged.expiresAt !== undefined ? judged.expiresAt : soonest(record);
  const answer: Introspection = {
    active: true,
    scope: record.scopes.join(" "),
    ...(expiresAt !== null && { exp: Math.floor(expiresAt / 1000) }),
    client_id: record.id,
    ...(sub !== undefined && { sub }),
    token_type: "api_key",
  };
  return c.json(answer, 200);
};

/** When the record says the presented secret stops working: the key's expiry or the secret's, whichever comes first. */
function soonest(record: KeyRecord): number | null {
  const times = [record.expiresAt, record.secretExpiresAt].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
