// The portal's JSON API (docs/portal.md), mounted by the portal app at /_gateway/portal/api behind
// the customer session; its routes are also listed in the gateway's OpenAPI document.

import type { RouteConfig } from "@hono/zod-openapi";
import { OpenAPIHono } from "@hono/zod-openapi";
import { describeIssues } from "../../config/describe-issues";
import type { PortalEnv } from "../../env";
import { GatewayError } from "../../errors";
import { createKey, createKeyRoute } from "./create-key";
import { getKey, getKeyRoute } from "./get-key";
import { getMe, getMeRoute } from "./get-me";
import { listKeys, listKeysRoute } from "./list-keys";
import { revokeKey, revokeKeyRoute } from "./revoke-key";
import { rollKey, rollKeyRoute } from "./roll-key";
import { PORTAL_API_PREFIX } from "./schemas";
import { usage, usageRoute } from "./usage";

/** The API's routes, for its own app and for the gateway's document. */
export const portalApiRoutes: RouteConfig[] = [
  getMeRoute,
  listKeysRoute,
  getKeyRoute,
  createKeyRoute,
  rollKeyRoute,
  revokeKeyRoute,
  usageRoute,
];

/** The routes as the gateway's document lists them (paths under /_gateway). */
export const documentedPortalRoutes = (): RouteConfig[] =>
  portalApiRoutes.map((route) => ({ ...route, path: `${PORTAL_API_PREFIX}${route.path}` }));

/** The API's handlers; `c.get("customer")` must be set by the session middleware before any of them. */
export function portalApi() {
  const api = new OpenAPIHono<PortalEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new GatewayError("invalid_request", describeIssues(result.error));
    },
  });
  api.openapi(getMeRoute, getMe);
  api.openapi(listKeysRoute, listKeys);
  api.openapi(getKeyRoute, getKey);
  api.openapi(createKeyRoute, createKey);
  api.openapi(rollKeyRoute, rollKey);
  api.openapi(revokeKeyRoute, revokeKey);
  api.openapi(usageRoute, usage);
  return api;
}
