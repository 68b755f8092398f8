// DELETE /_gateway/admin/plans/{id}: deletes a plan no identity is on, else 409 saying how many are (docs/plans.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, problem } from "../gateway/schemas";
import { deletePlanRow, getPlanRow, planMemberCount } from "../plans/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { noPlan, noPlanError } from "./get-plan";
import { PlanIdParam } from "./plan-object";

export const deletePlanRoute = createRoute({
  method: "delete",
  path: "/admin/plans/{id}",
  operationId: "deletePlan",
  tags: ["Plans"],
  summary: "Delete a plan",
  description: "Only a plan no identity is on: move its identities to another plan (`PATCH /identities/{id}` with `planId`) first.",
  ...requireScope("keys:write"),
  request: { params: PlanIdParam },
  responses: {
    204: { description: "Deleted" },
    ...noPlanError,
    409: problem("Identities are on the plan; `detail` says how many."),
    ...adminErrors,
  },
});

async function stillUsed(db: ReturnType<typeof database>, id: string): Promise<GatewayError> {
  const n = await planMemberCount(db, id);
  return new GatewayError(
    "conflict",
    `Plan ${id} is used by ${n} ${n === 1 ? "identity" : "identities"}; move ${n === 1 ? "it" : "them"} to another plan (or none) first.`,
  );
}

export const deletePlan: RouteHandler<typeof deletePlanRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const row = await getPlanRow(db, id);
  if (!row) throw noPlan(id);
  const now = Date.now();
  const audit = auditEntry("plan.delete", null, { planId: id, name: row.name }, now, auditActor(c));
  if (!(await deletePlanRow(db, id, audit))) {
    if (!(await getPlanRow(db, id))) throw noPlan(id);
    throw await stillUsed(db, id);
  }
  return c.body(null, 204);
};
