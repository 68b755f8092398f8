import { createRoute, z, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { database } from "../db/client";
import { GatewayError } from "../errors";
import { adminErrors, adminSecurity, notFoundError } from "../gateway/schemas";
import { getSecrets, revokeKeyRow } from "../keys/store";
import { publishKeyStatus } from "./publish";

export const KeyIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" }, example: "key_3ZbV8kq1t4NfW2xYpQ7mHs" }),
});

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/admin/keys/{id}",
  tags: ["Keys"],
  summary: "Revoke a key",
  description: "The key is refused from the next request on, in every location; its row is kept.",
  security: adminSecurity,
  request: { params: KeyIdParam },
  responses: {
    204: { description: "Revoked" },
    ...notFoundError,
    ...adminErrors,
  },
});

export const revokeKey: RouteHandler<typeof revokeKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const key = await revokeKeyRow(db, id, Date.now());
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  await publishKeyStatus(c, key, await getSecrets(db, id));
  return c.body(null, 204);
};
