import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { z as zod } from "zod";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { adminAuth } from "../admin/auth";
import { createKey, createKeyRoute } from "../admin/create-key";
import { revokeKey, revokeKeyRoute } from "../admin/revoke-key";

/** `name: too short; rateLimits[0].window: …` from a zod error. */
export function describeFields(error: zod.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.reduce<string>(
        (name, part) => (typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)),
        "",
      );
      const message = issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message;
      return field ? `${field}: ${message}` : message;
    })
    .join("; ");
}

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Gateway"],
  summary: "Liveness",
  responses: {
    200: { description: "The gateway is up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
  },
});

/** Everything under /_gateway: the gateway's own API, never proxied. */
export function gatewayApi() {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new GatewayError("invalid_request", describeFields(result.error));
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer" });

  api.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));

  api.use("/admin/*", adminAuth());
  api.openapi(createKeyRoute, createKey);
  api.openapi(revokeKeyRoute, revokeKey);

  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Edge API gateway", version: "1.0.0", description: "The gateway's own endpoints under /_gateway." },
    servers: [{ url: "/_gateway" }],
  });
  return api;
}
