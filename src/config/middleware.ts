// The middleware that puts the validated config on every request (`c.get("config")`); a bad config is 503
// gateway_misconfigured, naming the field only to the operator (docs/configuration.md).
import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { lazy } from "../lazy";
import type { ConfigResult, GatewayConfig } from "./settings";

export type ConfigVariables = { config: GatewayConfig };

// Validating the config (zod) loads with the first request that needs it, not with every new isolate.
const settings = lazy(() => import("./settings"));

/** What anyone but an operator learns of a bad config: which field or secret is wrong stays in the log and the operator's answer. */
const UNNAMED_PROBLEM = "The gateway's configuration is invalid; its operator can see why in the log, or by calling with the admin token.";

/** Whether the request carries ADMIN_TOKEN (compared in equal time: both sides hashed first). */
async function fromOperator(c: Context<{ Bindings: Env; Variables: ConfigVariables }>): Promise<boolean> {
  const expected = c.env.ADMIN_TOKEN;
  const presented = c.req.header("authorization")?.match(/^Bearer +(\S+) *$/i)?.[1];
  if (!expected || !presented) return false;
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Puts the validated config on the context; a bad config answers 503, naming the field only to an operator (docs/configuration.md). */
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
  if (!result.ok) return refuse(c, result.detail);
  c.set("config", result.config);
  return next();
}

async function refuse(c: Context<{ Bindings: Env; Variables: ConfigVariables }>, detail: string): Promise<never> {
  throw new GatewayError("gateway_misconfigured", (await fromOperator(c)) ? detail : UNNAMED_PROBLEM);
}
