// The worker's bindings, vars and secrets (`Env`), and the Hono context variables each stage of a request can rely on:
// every request, admin calls, portal routes, the proxy path.
import type { RequestIdVariables } from "hono/request-id";
import type { BillingOutbox } from "./billing/outbox";
import type { ConfigVariables } from "./config/middleware";
import type { KeyVariables } from "./keys/authenticate";
import type { AdminPrincipal } from "./operators/scopes";
import type { PathVariables } from "./proxy/path-safety";
import type { RouteVariables } from "./proxy/route-match";
import type { ClientIpCounter } from "./ratelimit/client-ip-counter";
import type { LimitDecision } from "./ratelimit/decision";
import type { KeyLimiter } from "./ratelimit/key-limiter";
import type { WebhookOutbox } from "./webhooks/outbox";

/** Bindings, vars and secrets as wrangler.toml and `wrangler secret put` provide them. */
export interface Env {
  DB: D1Database;
  KEY_LIMITER: DurableObjectNamespace<KeyLimiter>;
  CLIENT_IP_COUNTER: DurableObjectNamespace<ClientIpCounter>;
  WEBHOOK_OUTBOX: DurableObjectNamespace<WebhookOutbox>;
  /** The usage export's one outbox (docs/billing.md). */
  BILLING_OUTBOX: DurableObjectNamespace<BillingOutbox>;
  USAGE?: AnalyticsEngineDataset;
  /** The built dashboard (wrangler.toml [assets]). */
  ASSETS: Fetcher;
  ADMIN_TOKEN?: string;
  KEY_PREFIX?: string;
  GATEWAY_REALM?: string;
  GATEWAY_ROUTES?: unknown;
  CREDENTIAL_SOURCES?: unknown;
  KEY_CACHE_TTL_SECONDS?: string | number;
  KEY_CACHE_MAX_ENTRIES?: string | number;
  CLIENT_BODY_TIMEOUT_MS?: string | number;
  WEBHOOK_RETRY_BASE_MS?: string | number;
  /** The customers' portal's OpenID Connect client secret (docs/portal.md). */
  OIDC_CLIENT_SECRET?: string;
  /** The billing vendor's API token (docs/billing.md). */
  BILLING_EXPORT_TOKEN?: string;
  IPV6_CLIENT_PREFIX?: string | number;
  /** Upstream credentials and service bindings, named by route config. */
  [binding: string]: unknown;
}

/** The request header or query parameter that carried the credential, removed before proxying. */
export type CredentialLocation = { kind: "header"; name: string } | { kind: "query"; name: string };

/** Set by `adminAuth` on /_gateway/admin paths only: who makes this admin call. */
export type AdminVariables = { adminPrincipal?: AdminPrincipal };

/** Set by the app-wide middleware (request id, path safety, config) before any route runs. */
export type GatewayEnv = { Bindings: Env; Variables: RequestIdVariables & PathVariables & ConfigVariables & AdminVariables };

/** A signed-in customer of the portal: an identity and what its provider said about it at sign-in. */
export interface Customer {
  identityId: string;
  /** The provider's `sub`, the identity's `externalId`. */
  subject: string;
  email: string | null;
  name: string | null;
}

/** Set by `requireCustomer()` (src/portal/session.ts) on portal routes that need a session. */
export type CustomerVariables = { customer: Customer };

/** A portal route behind `requireCustomer()`: the customer is known. */
export type PortalEnv = { Bindings: Env; Variables: GatewayEnv["Variables"] & CustomerVariables };

/** Set by the proxy's admission step once the limits are decided (src/verdict/middleware.ts). */
export type LimitVariables = { limits?: LimitDecision };

/** The proxy path after `routeMatch`: the route is known, a key and a decision may be. */
export type AppEnv = { Bindings: Env; Variables: GatewayEnv["Variables"] & RouteVariables & KeyVariables & LimitVariables };

/** What an error or not-found handler may read: it can run before any middleware has set anything. */
export type AnyStageEnv = { Bindings: Env; Variables: Partial<AppEnv["Variables"]> };
