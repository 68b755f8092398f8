// The customers' portal's sign-in routes as the OpenAPI document shows them (docs/portal.md). Only
// documented here: they are served by the portal's own lazily loaded app (src/portal/app.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { problem } from "./schemas";

const htmlPage = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });
const redirect = (description: string) => ({
  description,
  headers: z.object({ location: z.string().openapi({ description: "Where the browser goes next." }) }),
});

/** The session cookie portal routes take (its attributes: docs/portal.md § Sessions). */
export const PORTAL_SESSION_SCHEME = {
  type: "apiKey",
  in: "cookie",
  name: "gateway_portal_session",
  description: "The customers' portal session, set by the sign-in callback; writes also need a same-origin `Origin`.",
} as const;

export const portalRoutes = [
  createRoute({
    method: "get",
    path: "/portal/login",
    operationId: "portalLogin",
    tags: ["Portal"],
    summary: "Start a customer's sign-in",
    description: "Sends the browser to the OpenID Connect provider (authorization code with PKCE, state and nonce).",
    security: [],
    responses: {
      302: redirect("To the provider's authorization endpoint"),
      502: htmlPage("The provider cannot be reached"),
      503: htmlPage("No provider is configured (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)"),
    },
  }),
  createRoute({
    method: "get",
    path: "/portal/callback",
    operationId: "portalCallback",
    tags: ["Portal"],
    summary: "The provider's answer to a sign-in",
    description:
      "Checks the state, exchanges the code, verifies the ID token; the customer's identity is found, or created on `PORTAL_DEFAULT_PLAN`, and a session starts.",
    security: [],
    request: {
      query: z.object({
        code: z
          .string()
          .optional()
          .openapi({ param: { name: "code", in: "query" } }),
        state: z
          .string()
          .optional()
          .openapi({ param: { name: "state", in: "query" } }),
        error: z
          .string()
          .optional()
          .openapi({ param: { name: "error", in: "query" } }),
      }),
    },
    responses: {
      303: redirect("Signed in: to the portal page, with the session cookie set"),
      400: htmlPage("Not this browser's sign-in, the provider's error, or a code used already or expired"),
      502: htmlPage("The provider cannot be reached, or its answer failed verification"),
    },
  }),
  createRoute({
    method: "post",
    path: "/portal/logout",
    operationId: "portalLogout",
    tags: ["Portal"],
    summary: "End the customer's session",
    security: [{ portalSession: [] }],
    responses: {
      204: { description: "Signed out" },
      303: redirect("Signed out (a browser's form, `Accept: text/html`): to the signed-out page"),
      403: problem("The write has no same-origin `Origin` (`cross_site_request`)."),
    },
  }),
];
