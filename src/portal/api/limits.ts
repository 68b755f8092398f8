// The customer's plan and what is left of the limits all their keys share, read from the identity's
// Durable Object without spending anything (the same reading `/_gateway/me` gives for one key).
import type { Context } from "hono";
import { currentSecret } from "../../admin/key-object";
import { database } from "../../db/client";
import type { IdentityRow } from "../../db/schema";
import type { PortalEnv } from "../../env";
import { GatewayError } from "../../errors";
import { getIdentityRow } from "../../identities/store";
import { identityStatus, keyStatus } from "../../keys/record";
import { effectiveLimits } from "../../plans/limits";
import { getPlanRow, type PlanRow } from "../../plans/store";
import { limiterClient } from "../../ratelimit/client";
import type { PolicyState } from "../../ratelimit/decision";
import type { QuotaState } from "../../ratelimit/quota";
import { identityKeys } from "./customer";

/** The customer's identity and its plan (null when it has none); a vanished identity is `404 not_found`. */
export async function customerIdentity(c: Context<PortalEnv>): Promise<{ identity: IdentityRow; plan: PlanRow | null }> {
  const db = database(c.env.DB);
  const identity = await getIdentityRow(db, c.get("customer").identityId);
  if (!identity) throw new GatewayError("not_found", "Your customer record no longer exists; sign in again.");
  return { identity, plan: identity.planId === null ? null : ((await getPlanRow(db, identity.planId)) ?? null) };
}

const IDENTITY_POLICY = /^identity\./;

/** The identity's limits and quota with what is left now; with no live key to read them through, as configured and unspent. */
export async function customerLimitsNow(
  c: Context<PortalEnv>,
  identity: IdentityRow,
  plan: PlanRow | null,
): Promise<{ rateLimits: PolicyState[]; quota: QuotaState | null }> {
  const keys = await identityKeys(c, identity.id);
  const limits = effectiveLimits(identity, plan);
  const now = Date.now();
  const live = keys.filter(({ key }) => key.revokedAt === null && key.enabled && (key.expiresAt === null || key.expiresAt > now)).at(-1);
  if (!live) {
    return {
      rateLimits: limits.rateLimits.map((limit) => ({ ...limit, remaining: limit.limit, reset: 0 })),
      quota: limits.quota ? { ...limits.quota, used: 0, remaining: limits.quota.limit, reset: null } : null,
    };
  }
  const inspection = await limiterClient(c).inspect(live.key.id, {
    limits: [],
    key: {
      keyId: live.key.id,
      secretId: currentSecret(live.secrets)?.id ?? "",
      status: keyStatus(live.key, live.secrets),
      identity: identityStatus(identity, plan),
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
