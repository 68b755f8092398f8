import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { lazy } from "../lazy";
import type { ConfigResult, GatewayConfig } from "./settings";

export type ConfigVariables = { config: GatewayConfig };

// Validating the config (zod) loads with the first request that needs it, not with every new isolate.
const settings = lazy(() => import("./settings"));

/** Puts the validated config on the context; a bad config answers 503 naming the field. */
export function gatewayConfig() {
  return createMiddleware<{ Bindings: Env; Variables: ConfigVariables }>(function gatewayConfig(c, next) {
    // Every request but an isolate's first finds the module loaded: no promise of its own, as on the rest of the request path.
    const loaded = settings.loaded();
    if (loaded) return withConfig(loaded.loadConfig, c, next);
    return settings().then(({ loadConfig }) => withConfig(loadConfig, c, next));
  });
}

function withConfig(loadConfig: (env: Env) => ConfigResult, c: Context<{ Bindings: Env; Variables: ConfigVariables }>, next: Next) {
  const result = loadConfig(c.env);
  if (!result.ok) throw new GatewayError("gateway_misconfigured", result.detail);
  c.set("config", result.config);
  return next();
}
