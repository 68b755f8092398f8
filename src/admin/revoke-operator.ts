// DELETE /_gateway/admin/operators/{id}: revokes an operator token, at once here, within 5 s everywhere (docs/operators.md § Revocation).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, ProblemSchema } from "../gateway/schemas";
import { operatorCache } from "../operators/cache";
import { getOperatorRow, revokeOperatorRow } from "../operators/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { OperatorIdParam } from "./operator-object";

export const revokeOperatorRoute = createRoute({
  method: "delete",
  path: "/admin/operators/{id}",
  operationId: "revokeOperator",
  tags: ["Operators"],
  summary: "Revoke an operator token",
  description:
    "The token is refused from the next call in the location that served this one, and within 5 seconds everywhere; its row is kept. Revoking twice is harmless.",
  ...requireScope("operators:write"),
  request: { params: OperatorIdParam },
  responses: {
    204: { description: "Revoked" },
    404: {
      description: "No operator token with that id.",
      content: { "application/problem+json": { schema: ProblemSchema } },
    },
    ...adminErrors,
  },
});

export const revokeOperator: RouteHandler<typeof revokeOperatorRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const current = await getOperatorRow(db, id);
  if (!current) throw new GatewayError("not_found", `No operator token with id ${id}.`);
  // A token may only revoke within its own scopes: a narrow one cannot take down a wider one (docs/operators.md).
  const held = c.get("adminPrincipal")?.scopes ?? [];
  const beyond = current.scopes.filter((scope) => !held.includes(scope));
  if (beyond.length > 0)
    throw new GatewayError("insufficient_scope", `The token cannot revoke a token holding scope(s) it lacks: ${beyond.join(", ")}.`);
  const now = Date.now();
  await revokeOperatorRow(
    db,
    current,
    now,
    auditEntry("operator.revoke", null, { operatorId: id, revokedAt: new Date(now).toISOString() }, now, auditActor(c)),
  );
  operatorCache.forget(id);
  return c.body(null, 204);
};
