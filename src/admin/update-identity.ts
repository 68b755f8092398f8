// PATCH /_gateway/admin/identities/{id}: changes an identity; new limits, plan or `enabled` reach all its keys everywhere
// within `LEASE_TTL_MS` (docs/identities.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, problem } from "../gateway/schemas";
import { getIdentityRow, type IdentityChanges, isUniqueViolation, memberKeyIds, updateIdentityRow } from "../identities/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { noIdentityError } from "./get-identity";
import { externalIdTaken, IdentityIdParam, IdentitySchema, namedPlan, toIdentityObject, UpdateIdentityBody } from "./identity-object";
import { publishIdentityStatus } from "./publish";

export const updateIdentityRoute = createRoute({
  method: "patch",
  path: "/admin/identities/{id}",
  operationId: "updateIdentity",
  tags: ["Identities"],
  summary: "Update an identity",
  description:
    "Changes any field a create may set. `enabled: false` refuses all its keys (`401 disabled_key`); that, new limits and a new `planId` apply from the next request here and within `LEASE_TTL_MS` everywhere.",
  ...requireScope("keys:write"),
  request: { params: IdentityIdParam, body: { required: true, content: { "application/json": { schema: UpdateIdentityBody } } } },
  responses: {
    200: { description: "The updated identity", content: { "application/json": { schema: IdentitySchema } } },
    ...noIdentityError,
    409: problem("Another identity has this `externalId`; `detail` gives its id."),
    ...adminErrors,
    ...bodyErrors,
  },
});

export const updateIdentity: RouteHandler<typeof updateIdentityRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const current = await getIdentityRow(db, id);
  if (!current) throw new GatewayError("not_found", `No identity with id ${id}.`);
  const body = c.req.valid("json");
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body))
    if (JSON.stringify(current[field as keyof typeof current] ?? null) !== JSON.stringify(value ?? null)) changes[field] = value;
  if (Object.keys(changes).length === 0) return c.json(toIdentityObject(current), 200);
  if (typeof changes.planId === "string") await namedPlan(db, changes.planId);

  const now = Date.now();
  const audit = auditEntry("identity.update", null, { identityId: id, ...changes }, now, auditActor(c));
  let updated: Awaited<ReturnType<typeof updateIdentityRow>>;
  try {
    updated = await updateIdentityRow(db, id, changes as IdentityChanges, now, audit);
  } catch (error) {
    if (isUniqueViolation(error) && body.externalId !== undefined) throw await externalIdTaken(db, body.externalId);
    throw error;
  }
  if (!updated) throw new GatewayError("not_found", `No identity with id ${id}.`);
  await publishIdentityStatus(c, updated.identity, updated.plan, await memberKeyIds(db, id));
  return c.json(toIdentityObject(updated.identity), 200);
};
