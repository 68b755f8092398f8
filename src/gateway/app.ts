// The /_gateway app: health, the OpenAPI document and its page, /me, /verify, /introspect, the admin
// API (one file per route under src/admin) and the dashboard's assets, wired in one place.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { adminAuth } from "../admin/auth";
import { billingExportStatus, billingExportStatusRoute } from "../admin/billing-export-status";
import { adminBodyLimit } from "../admin/body-limit";
import { createIdentity, createIdentityRoute } from "../admin/create-identity";
import { createKey, createKeyRoute } from "../admin/create-key";
import { createOperator, createOperatorRoute } from "../admin/create-operator";
import { createPlan, createPlanRoute } from "../admin/create-plan";
import { createWebhook, createWebhookRoute } from "../admin/create-webhook";
import { deleteIdentity, deleteIdentityRoute } from "../admin/delete-identity";
import { deleteImportPrefixHandler, deleteImportPrefixRoute } from "../admin/delete-import-prefix";
import { deletePlan, deletePlanRoute } from "../admin/delete-plan";
import { deleteWebhook, deleteWebhookRoute } from "../admin/delete-webhook";
import { getIdentity, getIdentityRoute } from "../admin/get-identity";
import { getKey, getKeyRoute } from "../admin/get-key";
import { getPlan, getPlanRoute } from "../admin/get-plan";
import { getWebhook, getWebhookRoute } from "../admin/get-webhook";
import { identityUsage, identityUsageRoute } from "../admin/identity-usage";
import { ImportKeyEntry, importKeys, importKeysRoute } from "../admin/import-keys";
import { keyLimits, keyLimitsRoute } from "../admin/key-limits";
import { keyUsage, keyUsageRoute } from "../admin/key-usage";
import { listAudit, listAuditRoute } from "../admin/list-audit";
import { listIdentities, listIdentitiesRoute } from "../admin/list-identities";
import { listImportPrefixes, listImportPrefixesRoute } from "../admin/list-import-prefixes";
import { listKeys, listKeysRoute } from "../admin/list-keys";
import { listOperators, listOperatorsRoute } from "../admin/list-operators";
import { listPlans, listPlansRoute } from "../admin/list-plans";
import { listRoutes, listRoutesRoute } from "../admin/list-routes";
import { listWebhookDeliveries, listWebhookDeliveriesRoute } from "../admin/list-webhook-deliveries";
import { listWebhooks, listWebhooksRoute } from "../admin/list-webhooks";
import { resendBillingExport, resendBillingExportRoute } from "../admin/resend-billing-export";
import { resendWebhookDelivery, resendWebhookDeliveryRoute } from "../admin/resend-webhook-delivery";
import { revokeKey, revokeKeyRoute } from "../admin/revoke-key";
import { revokeOperator, revokeOperatorRoute } from "../admin/revoke-operator";
import { rotateKey, rotateKeyRoute } from "../admin/rotate-key";
import { rotateWebhookSecret, rotateWebhookSecretRoute } from "../admin/rotate-webhook-secret";
import { testWebhook, testWebhookRoute } from "../admin/test-webhook";
import { updateIdentity, updateIdentityRoute } from "../admin/update-identity";
import { updateKey, updateKeyRoute } from "../admin/update-key";
import { updatePlan, updatePlanRoute } from "../admin/update-plan";
import { updateWebhook, updateWebhookRoute } from "../admin/update-webhook";
import { usageReport, usageReportRoute } from "../admin/usage-report";
import { describeIssues } from "../config/describe-issues";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { secretScanning, secretScanningRoute } from "../leaks/secret-scanning";
import { documentedPortalRoutes } from "../portal/api/app";
import { pageSecurity, serveAsset } from "./assets";
import { renderDocsPage } from "./docs";
import { introspect, introspectRoute } from "./introspect";
import { me, meRoute } from "./me";
import { PORTAL_SESSION_SCHEME, portalRoutes } from "./portal-routes";
import { verify, verifyRoute } from "./verify";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Gateway"],
  summary: "Liveness",
  security: [],
  responses: {
    200: { description: "The gateway is up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
  },
});

/** Documented here, served by `doc31` and the docs page below: neither takes input or a credential. */
const documentRoutes = [
  createRoute({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    tags: ["Gateway"],
    summary: "This OpenAPI document",
    security: [],
    responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
  }),
  createRoute({
    method: "get",
    path: "/docs",
    operationId: "getDocsPage",
    tags: ["Gateway"],
    summary: "The API reference as HTML, rendered from this document",
    security: [],
    responses: { 200: { description: "A self-contained HTML page", content: { "text/html": { schema: z.string() } } } },
  }),
];

const DOCUMENT_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Edge API gateway",
    version: "1.0.0",
    description: "The gateway's own endpoints under /_gateway.",
    license: { name: "Apache-2.0", identifier: "Apache-2.0" },
  },
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
    description:
      "`Authorization: Bearer <token>` on every /admin path: ADMIN_TOKEN (every scope) or an operator token; each operation lists the scope it needs.",
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

  api.use("/verify", adminAuth());
  api.use("/verify", adminBodyLimit());
  api.openapi(verifyRoute, verify);
  api.use("/introspect", adminAuth());
  api.openapi(introspectRoute, introspect);

  // Signed by GitHub, not by a token: the signature is checked over the raw body before it is parsed (docs/secret-scanning.md).
  api.openAPIRegistry.registerComponent("securitySchemes", "githubSignature", {
    type: "apiKey",
    in: "header",
    name: "Github-Public-Key-Signature",
    description: "GitHub's ECDSA P-256 signature of the raw body, with `Github-Public-Key-Identifier` naming the key.",
  });
  api.openAPIRegistry.registerPath(secretScanningRoute);
  api.post("/secret-scanning", ...secretScanning());

  api.use("/admin/*", adminAuth());
  api.use("/admin/*", adminBodyLimit());
  api.openapi(createKeyRoute, createKey);
  api.openAPIRegistry.register("ImportKey", ImportKeyEntry); // entries are checked one by one, so only referenced
  api.openapi(importKeysRoute, importKeys);
  // Before /keys/{id}, which would take "import-prefixes" for an id.
  api.openapi(listImportPrefixesRoute, listImportPrefixes);
  api.openapi(deleteImportPrefixRoute, deleteImportPrefixHandler);
  api.openapi(listKeysRoute, listKeys);
  api.openapi(getKeyRoute, getKey);
  api.openapi(updateKeyRoute, updateKey);
  api.openapi(revokeKeyRoute, revokeKey);
  api.openapi(rotateKeyRoute, rotateKey);
  api.openapi(keyUsageRoute, keyUsage);
  api.openapi(keyLimitsRoute, keyLimits);
  api.openapi(listAuditRoute, listAudit);
  api.openapi(createOperatorRoute, createOperator);
  api.openapi(listOperatorsRoute, listOperators);
  api.openapi(revokeOperatorRoute, revokeOperator);
  api.openapi(usageReportRoute, usageReport);
  api.openapi(listRoutesRoute, listRoutes);
  api.openapi(createWebhookRoute, createWebhook);
  api.openapi(listWebhooksRoute, listWebhooks);
  api.openapi(getWebhookRoute, getWebhook);
  api.openapi(updateWebhookRoute, updateWebhook);
  api.openapi(deleteWebhookRoute, deleteWebhook);
  api.openapi(rotateWebhookSecretRoute, rotateWebhookSecret);
  api.openapi(listWebhookDeliveriesRoute, listWebhookDeliveries);
  api.openapi(resendWebhookDeliveryRoute, resendWebhookDelivery);
  api.openapi(testWebhookRoute, testWebhook);
  api.openapi(createIdentityRoute, createIdentity);
  api.openapi(listIdentitiesRoute, listIdentities);
  api.openapi(getIdentityRoute, getIdentity);
  api.openapi(updateIdentityRoute, updateIdentity);
  api.openapi(deleteIdentityRoute, deleteIdentity);
  api.openapi(identityUsageRoute, identityUsage);
  api.openapi(createPlanRoute, createPlan);
  api.openapi(listPlansRoute, listPlans);
  api.openapi(getPlanRoute, getPlan);
  api.openapi(updatePlanRoute, updatePlan);
  api.openapi(deletePlanRoute, deletePlan);
  api.openapi(billingExportStatusRoute, billingExportStatus);
  api.openapi(resendBillingExportRoute, resendBillingExport);

  for (const route of documentRoutes) api.openAPIRegistry.registerPath(route);
  api.openAPIRegistry.registerComponent("securitySchemes", "portalSession", PORTAL_SESSION_SCHEME);
  for (const route of portalRoutes) api.openAPIRegistry.registerPath(route);
  // The portal's JSON API (src/portal/api), served by the portal's own app behind the session.
  for (const route of documentedPortalRoutes()) api.openAPIRegistry.registerPath(route);
  api.doc31("/openapi.json", DOCUMENT_CONFIG);

  api.use("/docs/*", pageSecurity({ inlineStyles: true }));
  api.get("/docs", (c) => c.html(renderDocsPage(DOCUMENT_CONFIG.info.title)));
  api.get("/docs/*", serveAsset);
  api.use("/dashboard/*", pageSecurity());
  api.get("/dashboard/*", serveAsset);

  return api;
}

/** A known /_gateway path asked with another method: 405 with the methods it does answer. */
function refuseMethod(c: Context<GatewayEnv>, allowed: string[]): never {
  throw new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}.`, {
    headers: { allow: allowed.join(", ") },
  });
}
