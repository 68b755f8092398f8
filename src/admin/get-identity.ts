// GET /_gateway/admin/identities/{id}: one identity (docs/identities.md); also the 404 its sibling routes share.
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, problem } from "../gateway/schemas";
import { getIdentityRow } from "../identities/store";
import { requireScope } from "./auth";
import { IdentityIdParam, IdentitySchema, toIdentityObject } from "./identity-object";

export const noIdentityError = { 404: problem("No identity with that id.") } as const;

export const getIdentityRoute = createRoute({
  method: "get",
  path: "/admin/identities/{id}",
  operationId: "getIdentity",
  tags: ["Identities"],
  summary: "Get an identity",
  ...requireScope("keys:read"),
  request: { params: IdentityIdParam },
  responses: {
    200: { description: "The identity", content: { "application/json": { schema: IdentitySchema } } },
    ...noIdentityError,
    ...adminErrors,
  },
});

export const getIdentity: RouteHandler<typeof getIdentityRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await getIdentityRow(database(c.env.DB), id);
  if (!row) throw new GatewayError("not_found", `No identity with id ${id}.`);
  return c.json(toIdentityObject(row), 200);
};
