// PATCH /_gateway/admin/plans/{id}: changes a plan and tells every identity's object on it, so new limits apply everywhere
// within `LEASE_TTL_MS` (docs/plans.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors, bodyErrors, problem } from "../gateway/schemas";
import { isUniqueViolation } from "../identities/store";
import { changesLimits, getPlanRow, type PlanChanges, planMemberKeyIds, planMembers, updatePlanRow } from "../plans/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { nameTaken } from "./create-plan";
import { noPlan, noPlanError } from "./get-plan";
import { PlanIdParam, PlanSchema, toPlanObject, UpdatePlanBody } from "./plan-object";
import { publishPlanMembers } from "./publish";

export const updatePlanRoute = createRoute({
  method: "patch",
  path: "/admin/plans/{id}",
  operationId: "updatePlan",
  tags: ["Plans"],
  summary: "Update a plan",
  description:
    "Changes any field a create may set. New `rateLimits` or `quota` apply to every identity on the plan (that does not set its own) from the next request here and within `LEASE_TTL_MS` everywhere; the call answers once every identity's object has been told.",
  ...requireScope("keys:write"),
  request: { params: PlanIdParam, body: { required: true, content: { "application/json": { schema: UpdatePlanBody } } } },
  responses: {
    200: { description: "The updated plan", content: { "application/json": { schema: PlanSchema } } },
    ...noPlanError,
    409: problem("Another plan has this name."),
    ...bodyErrors,
    ...adminErrors,
    ...bodyErrors,
  },
});

export const updatePlan: RouteHandler<typeof updatePlanRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const current = await getPlanRow(db, id);
  if (!current) throw noPlan(id);
  const body = c.req.valid("json");
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body))
    if (JSON.stringify(current[field as keyof typeof current] ?? null) !== JSON.stringify(value ?? null)) changes[field] = value;
  if (Object.keys(changes).length === 0) {
    // Repeating a call whose telling failed tells the identities again (their versions are unchanged: nothing is overridden).
    if (changesLimits(body)) await publishPlanMembers(c, current, await planMembers(db, id), await planMemberKeyIds(db, id));
    return c.json(toPlanObject(current), 200);
  }

  const now = Date.now();
  const audit = auditEntry("plan.update", null, { planId: id, ...changes }, now, auditActor(c));
  let updated: Awaited<ReturnType<typeof updatePlanRow>>;
  try {
    updated = await updatePlanRow(db, id, changes as PlanChanges, now, audit);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(String(body.name));
    throw error;
  }
  if (!updated) throw noPlan(id);
  if (updated.members.length > 0) await publishPlanMembers(c, updated.plan, updated.members, await planMemberKeyIds(db, id));
  return c.json(toPlanObject(updated.plan), 200);
};
