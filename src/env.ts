import type { RouteMatch } from "./config/routes";
import type { GatewayConfig } from "./config/settings";
import type { KeyRecord } from "./keys/record";
import type { ClientIpCounter } from "./ratelimit/client-ip-counter";
import type { LimitDecision } from "./ratelimit/decision";
import type { KeyLimiter } from "./ratelimit/key-limiter";

/** Bindings, vars and secrets as wrangler.toml and `wrangler secret put` provide them. */
export interface Env {
  DB: D1Database;
  KEY_LIMITER: DurableObjectNamespace<KeyLimiter>;
  CLIENT_IP_COUNTER: DurableObjectNamespace<ClientIpCounter>;
  USAGE?: AnalyticsEngineDataset;
  ADMIN_TOKEN?: string;
  KEY_PREFIX?: string;
  GATEWAY_REALM?: string;
  GATEWAY_ROUTES?: unknown;
  CREDENTIAL_SOURCES?: unknown;
  KEY_CACHE_TTL_SECONDS?: string | number;
  KEY_CACHE_MAX_ENTRIES?: string | number;
  /** Upstream credentials and service bindings, named by route config. */
  [binding: string]: unknown;
}

/** What one request carries from middleware to middleware. */
export interface Variables {
  requestId: string;
  /** The request path after path safety: escapes of unreserved characters decoded, nothing else. */
  path: string;
  config: GatewayConfig;
  route: RouteMatch;
  clientIp: string;
  key: KeyRecord | undefined;
  /** The request header or query parameter that carried the credential, removed before proxying. */
  credentialSource: CredentialLocation | undefined;
  limits: LimitDecision | undefined;
}

export type CredentialLocation = { kind: "header"; name: string } | { kind: "query"; name: string };

export type AppEnv = { Bindings: Env; Variables: Variables };
