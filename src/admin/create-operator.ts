// POST /_gateway/admin/operators: creates an operator token, never with scopes beyond the caller's; shown once (docs/operators.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { OperatorRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors } from "../gateway/schemas";
import { newId } from "../keys/format";
import { insertOperator } from "../operators/store";
import { generateOperatorToken, hashOperatorToken, parseOperatorToken } from "../operators/token";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { CreatedOperatorSchema, CreateOperatorBody, toOperatorObject } from "./operator-object";

export const createOperatorRoute = createRoute({
  method: "post",
  path: "/admin/operators",
  operationId: "createOperator",
  tags: ["Operators"],
  summary: "Create an operator token",
  description:
    "A named admin token with scopes, which may not exceed those of the calling token. The token is in this response only; the gateway stores its SHA-256.",
  ...requireScope("operators:write"),
  request: { body: { required: true, content: { "application/json": { schema: CreateOperatorBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedOperatorSchema } } },
    ...adminErrors,
    ...bodyErrors,
  },
});

export const createOperator: RouteHandler<typeof createOperatorRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  const granted = c.get("adminPrincipal")?.scopes ?? [];
  const beyond = body.scopes.filter((scope) => !granted.includes(scope));
  // Without this, operators:write alone would be a way to every other scope.
  if (beyond.length > 0) throw new GatewayError("insufficient_scope", `The token cannot grant scope(s) it lacks: ${beyond.join(", ")}.`);

  const now = Date.now();
  const token = generateOperatorToken();
  const row: OperatorRow = {
    id: newId("op"),
    name: body.name,
    scopes: [...new Set(body.scopes)],
    hash: hashOperatorToken(token),
    start: parseOperatorToken(token)!.start,
    createdAt: now,
    revokedAt: null,
  };
  const audit = auditEntry(
    "operator.create",
    null,
    { operatorId: row.id, name: row.name, scopes: row.scopes, start: row.start },
    now,
    auditActor(c),
  );
  await insertOperator(database(c.env.DB), row, audit);
  return c.json({ token, ...toOperatorObject(row) }, 201);
};
