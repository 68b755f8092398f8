// POST /_gateway/admin/identities: creates an identity, a customer whose keys share its limits and quota (docs/identities.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { IdentityRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { adminErrors, bodyErrors, problem } from "../gateway/schemas";
import { insertIdentity } from "../identities/store";
import { newLocatedId } from "../keys/locator";
import { identityStatus } from "../keys/record";
import { limiterClient } from "../ratelimit/client";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { CreateIdentityBody, externalIdTaken, IdentitySchema, namedPlan, toIdentityObject } from "./identity-object";

export const createIdentityRoute = createRoute({
  method: "post",
  path: "/admin/identities",
  operationId: "createIdentity",
  tags: ["Identities"],
  summary: "Create an identity",
  description:
    "A customer whose keys share its rate limits and quota, on top of their own. Keys join it with `identityId` on create or update. With `planId`, the plan's rate limits and quota apply where it sets none of its own.",
  ...requireScope("keys:write"),
  request: { body: { required: true, content: { "application/json": { schema: CreateIdentityBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: IdentitySchema } } },
    409: problem("Another identity has this `externalId`; `detail` gives its id."),
    ...adminErrors,
    ...bodyErrors,
  },
});

export const createIdentity: RouteHandler<typeof createIdentityRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  const db = database(c.env.DB);
  const plan = body.planId === undefined ? null : await namedPlan(db, body.planId);
  const now = Date.now();
  const row: IdentityRow = {
    id: newLocatedId("idt"),
    externalId: body.externalId,
    name: body.name ?? null,
    metadata: body.metadata ?? {},
    enabled: body.enabled ?? true,
    rateLimits: body.rateLimits ?? [],
    quota: body.quota ?? null,
    createdAt: now,
    updatedAt: now,
    version: 1,
    planId: body.planId ?? null,
  };
  const identity = toIdentityObject(row);
  const { id, createdAt, updatedAt, ...fields } = identity;
  const audit = auditEntry("identity.create", null, { identityId: id, ...fields }, now, auditActor(c));
  if (!(await insertIdentity(db, row, audit))) throw await externalIdTaken(db, body.externalId);
  // Its object must know its limits before any key is sent there by an object that does not (a key moving in).
  await limiterClient(c).updateIdentity(identityStatus(row, plan));
  return c.json(identity, 201);
};
