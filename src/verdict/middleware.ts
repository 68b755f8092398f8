/** The proxy's key and limits step: maps the request's key verdict (verdict.ts) to a throw or to the context the later steps read. */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { presentedCredentials } from "../keys/credentials";
import { keyVerdict } from "./verdict";

const NO_SCOPES: readonly string[] = [];

/** Resolves the request's API key per the route's `auth` mode and admits or refuses it on its scopes, IP allowlist, limits and quota. */
export function admission() {
  return createMiddleware<AppEnv>(async function admission(c, next) {
    const route = c.get("route").route;
    if (route.auth === "none" && route.rateLimits.length === 0) return next();
    const config = c.get("config");
    const verdict = await keyVerdict(c, {
      presented: route.auth === "none" ? [] : [...presentedCredentials(c.req.raw, config.credentialSources)],
      auth: route.auth,
      route,
      usageRoute: route.path,
      ip: c.get("clientIp"),
      cost: route.cost,
      scopes: NO_SCOPES,
      mode: "spend",
    });
    if (verdict.key) {
      c.set("key", verdict.key);
      if (verdict.location) c.set("credentialSource", verdict.location);
    }
    if (verdict.decision) c.set("limits", verdict.decision);
    if (verdict.refusal) throw verdict.refusal;
    return next();
  });
}
