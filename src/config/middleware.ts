import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { lazy } from "../lazy";
import type { GatewayConfig } from "./settings";

export type ConfigVariables = { config: GatewayConfig };

// Validating the config (zod) loads with the first request that needs it, not with every new isolate.
const settings = lazy(() => import("./settings"));

/** Puts the validated config on the context; a bad config answers 503 naming the field. */
export function gatewayConfig() {
  return createMiddleware<{ Bindings: Env; Variables: ConfigVariables }>(async function gatewayConfig(c, next) {
    const { loadConfig } = await settings();
    const result = loadConfig(c.env);
    if (!result.ok) throw new GatewayError("gateway_misconfigured", result.detail);
    c.set("config", result.config);
    await next();
  });
}
