import type { Env } from "../../src/env";
import type { CheckInput } from "../../src/ratelimit/decision";

/** The input the gateway sends for a key with one huge limit: every call is allowed. */
export const HOT_KEY_INPUT: CheckInput = {
  limits: [{ id: "key:minute", name: "minute", limit: 1_000_000_000, window: 60 }],
  cost: 1,
  route: "/bench/*",
  key: {
    secretId: "sec_bench",
    status: { version: 1, enabled: true, expiresAt: null, revokedAt: null, secretExpiry: { sec_bench: null } },
  },
};

export interface LimiterLoadResult {
  callers: number;
  decisions: number;
  elapsedMs: number;
  decisionsPerSecond: number;
}

/**
 * `callers` loops in this isolate, each awaiting one check() on the same object before the next,
 * for `durationMs`: the object's ceiling with no HTTP on the way.
 */
export async function limiterLoad(env: Env, name: string, callers: number, durationMs: number): Promise<LimiterLoadResult> {
  const stub = env.KEY_LIMITER.getByName(name);
  await stub.check(HOT_KEY_INPUT); // the object's constructor and schema are not what is measured
  let decisions = 0;
  const started = Date.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (Date.now() < deadline) {
      await stub.check(HOT_KEY_INPUT);
      decisions++;
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const elapsedMs = Date.now() - started;
  return { callers, decisions, elapsedMs, decisionsPerSecond: (decisions * 1000) / elapsedMs };
}
