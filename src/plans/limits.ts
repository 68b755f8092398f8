/**
 * An identity's effective limits and quota: its plan's, replaced field by field by the identity's
 * own where it sets them (docs/plans.md). Pure; the key path, the admin API and the portal use it.
 */
import type { RateLimitSpec } from "../config/schema";
import type { QuotaSpec } from "../keys/quota";

export interface Limits {
  rateLimits: RateLimitSpec[];
  quota: QuotaSpec | null;
}

/**
 * `rateLimits` and `quota` each as a whole field: the identity's when it sets it (a non-empty
 * list, a quota), else the plan's; with no plan, the identity's own.
 */
export function effectiveLimits(identity: Limits, plan: Limits | null | undefined): Limits {
  return {
    rateLimits: identity.rateLimits.length > 0 || !plan ? identity.rateLimits : plan.rateLimits,
    quota: identity.quota ?? plan?.quota ?? null,
  };
}
