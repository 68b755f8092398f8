// The one bound on every Durable Object call (worker to object, and object to object): a call
// that fails or gives no answer within the timeout becomes a `limiter_unavailable` GatewayError.
import { GatewayError } from "../errors";

/** `LIMITER_TIMEOUT_MS` when it is not set (docs/configuration.md). */
export const DEFAULT_OBJECT_TIMEOUT_MS = 3_000;

class ObjectTimeout extends Error {}

/** A slow object is treated like an unreachable one; the cause is kept for logs, never shown. */
export async function boundedCall<T>(rpc: () => Promise<T>, timeoutMs: number, detail: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ObjectTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([rpc(), timeout]);
  } catch (error) {
    throw new GatewayError("limiter_unavailable", detail, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bound for calls made where no parsed config is at hand (an object's alarm, the cron):
 * `LIMITER_TIMEOUT_MS` as set, read without loading the config module.
 */
export function objectTimeoutMs(env: { readonly [name: string]: unknown }): number {
  const set = Number(env.LIMITER_TIMEOUT_MS);
  return Number.isInteger(set) && set > 0 && set <= 60_000 ? set : DEFAULT_OBJECT_TIMEOUT_MS;
}
