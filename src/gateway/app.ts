import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { adminAuth } from "../admin/auth";
import { createKey, createKeyRoute } from "../admin/create-key";
import { getKey, getKeyRoute } from "../admin/get-key";
import { keyUsage, keyUsageRoute } from "../admin/key-usage";
import { listAudit, listAuditRoute } from "../admin/list-audit";
import { listKeys, listKeysRoute } from "../admin/list-keys";
import { revokeKey, revokeKeyRoute } from "../admin/revoke-key";
import { rotateKey, rotateKeyRoute } from "../admin/rotate-key";
import { updateKey, updateKeyRoute } from "../admin/update-key";
import { describeIssues } from "../config/describe-issues";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { type ApiDocument, renderDocsPage } from "./docs";
import { me, meRoute } from "./me";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Gateway"],
  summary: "Liveness",
  responses: {
    200: { description: "The gateway is up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
  },
});

const DOCUMENT_CONFIG = {
  openapi: "3.1.0",
  info: { title: "Edge API gateway", version: "1.0.0", description: "The gateway's own endpoints under /_gateway." },
  servers: [{ url: "/_gateway" }],
};

/** Everything under /_gateway: the gateway's own API, never proxied. */
export function gatewayApi() {
  const api = new OpenAPIHono<GatewayEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new GatewayError("invalid_request", describeIssues(result.error));
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <ADMIN_TOKEN>` on every /admin path.",
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", { type: "apiKey", in: "header", name: "X-API-Key" });
  api.openAPIRegistry.registerComponent("securitySchemes", "apiKeyBearer", {
    type: "http",
    scheme: "bearer",
    description: "A client key as `Authorization: Bearer <key>`; `Authorization: api-key <key>` is accepted too.",
  });

  api.use(methodNotAllowed({ app: api, onMethodNotAllowed: refuseMethod }));
  api.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
  api.openapi(meRoute, me);

  api.use("/admin/*", adminAuth());
  api.openapi(createKeyRoute, createKey);
  api.openapi(listKeysRoute, listKeys);
  api.openapi(getKeyRoute, getKey);
  api.openapi(updateKeyRoute, updateKey);
  api.openapi(revokeKeyRoute, revokeKey);
  api.openapi(rotateKeyRoute, rotateKey);
  api.openapi(keyUsageRoute, keyUsage);
  api.openapi(listAuditRoute, listAudit);

  api.doc31("/openapi.json", DOCUMENT_CONFIG);

  // The routes are fixed once this function returns, so the page is rendered once per isolate.
  let docsPage: string | undefined;
  api.get("/docs", (c) => {
    docsPage ??= renderDocsPage(api.getOpenAPI31Document(DOCUMENT_CONFIG) as unknown as ApiDocument);
    return c.html(docsPage, 200, { "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" });
  });

  return api;
}

/** A known /_gateway path asked with another method: 405 with the methods it does answer. */
function refuseMethod(c: Context<GatewayEnv>, allowed: string[]): never {
  throw new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}.`, {
    headers: { allow: allowed.join(", ") },
  });
}
