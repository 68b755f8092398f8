import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { type GatewayConfig, loadConfig } from "./settings";

export type ConfigVariables = { config: GatewayConfig };

/** Puts the validated config on the context; a bad config answers 503 naming the field. */
export function gatewayConfig() {
  return createMiddleware<{ Bindings: Env; Variables: ConfigVariables }>(async function gatewayConfig(c, next) {
    const result = loadConfig(c.env);
    if (!result.ok) throw new GatewayError("gateway_misconfigured", result.detail);
    c.set("config", result.config);
    await next();
  });
}
