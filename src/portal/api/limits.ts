// The customer's plan and what is left of the limits all their keys share, read from the identity's
// Durable Object without spending anything (the same reading `/_gateway/me` gives for one key).
import type { Context } from "hono";
import { currentSecret } from "../../admin/key-object";
import { database } from "../../db/client";
import { GatewayError } from "../../errors";
import { getIdentityRow } from "../../identities/store";
import { identityStatus, keyStatus } from "../../keys/record";
import { limiterClient } from "../../ratelimit/client";
import type { PolicyState } from "../../ratelimit/decision";
import type { QuotaState } from "../../ratelimit/quota";
import { identityKeys, type PortalEnv } from "./customer";

export interface PortalPlan {
  id: string;
  name: string;
  rateLimits: { name: string; limit: number; window: number }[];
  quota: { limit: number; period: "day" | "month" | "total" } | null;
  allowedScopes: string[] | null;
  maxKeys: number | null;
}

/** The customer's plan; null when their identity has none. */
export async function customerPlan(_c: Context<PortalEnv>): Promise<PortalPlan | null> {
  return null;
}

const IDENTITY_POLICY = /^identity\./;

/** The identity's limits and quota with what is left now; with no live key to read them through, as configured and unspent. */
export async function customerLimitsNow(c: Context<PortalEnv>): Promise<{ rateLimits: PolicyState[]; quota: QuotaState | null }> {
  const { identityId } = c.get("customer");
  const db = database(c.env.DB);
  const [identity, keys] = await Promise.all([getIdentityRow(db, identityId), identityKeys(c, identityId)]);
  if (!identity) throw new GatewayError("not_found", "Your customer record no longer exists; sign in again.");
  const now = Date.now();
  const live = keys.filter(({ key }) => key.revokedAt === null && key.enabled && (key.expiresAt === null || key.expiresAt > now)).at(-1);
  if (!live) {
    return {
      rateLimits: identity.rateLimits.map((limit) => ({ ...limit, remaining: limit.limit, reset: 0 })),
      quota: identity.quota ? { ...identity.quota, used: 0, remaining: identity.quota.limit, reset: null } : null,
    };
  }
  const inspection = await limiterClient(c).inspect(live.key.id, {
    limits: [],
    key: {
      keyId: live.key.id,
      secretId: currentSecret(live.secrets)?.id ?? "",
      status: keyStatus(live.key, live.secrets),
      identity: identityStatus(identity),
    },
  });
  return {
    rateLimits: inspection.policies.map(({ name, limit, window, remaining, reset }) => ({
      name: name.replace(IDENTITY_POLICY, ""),
      limit,
      window,
      remaining,
      reset,
    })),
    quota: inspection.quota,
  };
}
