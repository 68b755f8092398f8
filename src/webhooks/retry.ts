/** A delivery is retried for this long after it was queued, then marked failed. */
export const RETRY_SPAN_MS = 24 * 3_600_000;
/** The default wait before the first retry; each later wait is three times the one before. */
export const DEFAULT_RETRY_BASE_MS = 5_000;
const MAX_WAIT_MS = 6 * 3_600_000;
/** ±20%: receivers that fail together are not all retried in the same instant. */
const JITTER = 0.2;

/** The wait before retry `n` (1 = the first retry): base × 3^(n−1), at most 6 h, with jitter. */
export function retryWaitMs(n: number, baseMs: number, random: () => number = Math.random): number {
  const wait = Math.min(MAX_WAIT_MS, baseMs * 3 ** (n - 1));
  return Math.round(wait * (1 - JITTER + 2 * JITTER * random()));
}

/** When to try again after `failures` failed attempts, or null once the retry span is over. */
export function nextAttemptAt(queuedAt: number, now: number, failures: number, baseMs: number, random?: () => number): number | null {
  const at = now + retryWaitMs(failures, baseMs, random);
  return at - queuedAt > RETRY_SPAN_MS ? null : at;
}
