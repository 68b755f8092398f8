// DELETE /_gateway/admin/identities/{id}: deletes an identity that holds no live key (else 409), and tells its
// object, which deletes its storage once its usage is in D1 (docs/identities.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, problem } from "../gateway/schemas";
import { deleteIdentityRow, getIdentityRow, holdsLiveKeys } from "../identities/store";
import { limiterClient } from "../ratelimit/client";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { noIdentityError } from "./get-identity";
import { IdentityIdParam } from "./identity-object";

export const deleteIdentityRoute = createRoute({
  method: "delete",
  path: "/admin/identities/{id}",
  operationId: "deleteIdentity",
  tags: ["Identities"],
  summary: "Delete an identity",
  description:
    "Only an identity none of whose keys is live: move its keys out (`PATCH /keys/{id}` with `identityId: null`) or revoke them first. Revoked keys are released from it.",
  ...requireScope("keys:write"),
  request: { params: IdentityIdParam },
  responses: {
    204: { description: "Deleted" },
    ...noIdentityError,
    409: problem("A key that is not revoked still belongs to the identity."),
    ...adminErrors,
  },
});

const stillHeld = (id: string) =>
  new GatewayError("conflict", `Identity ${id} still has keys that are not revoked; move them out or revoke them first.`);

export const deleteIdentity: RouteHandler<typeof deleteIdentityRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const row = await getIdentityRow(db, id);
  if (!row) throw new GatewayError("not_found", `No identity with id ${id}.`);
  if (await holdsLiveKeys(db, id)) throw stillHeld(id);
  const now = Date.now();
  const audit = auditEntry("identity.delete", null, { identityId: id, externalId: row.externalId }, now, auditActor(c));
  if (!(await deleteIdentityRow(db, id, audit))) throw stillHeld(id);
  // The row is gone: the answer is 204 even if the object is not told (it then keeps its storage).
  try {
    await limiterClient(c).identityDeleted(id, now);
  } catch (error) {
    console.warn(`identity ${id}: its object was not told of the deletion: ${String(error)}`);
  }
  return c.body(null, 204);
};
