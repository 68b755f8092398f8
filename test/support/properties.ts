// How big fast-check properties run. `npm test` runs each at a quarter of its full size with a fixed
// seed, so a run is quick and repeatable; `PROPERTY_RUNS=<factor>` scales every property (1 = full
// size, 10 for a long hunt) and `PROPERTY_SEED=<n>` explores other cases. vitest.config.ts reads
// both and provides them to every project (workerd has no process.env). See test/README.md.
import type { Parameters } from "fast-check";
import { inject } from "vitest";

/**
 * fast-check parameters for a property whose full size is `fullRuns` runs: scaled by `PROPERTY_RUNS`,
 * at least one run, seeded. Extra parameters (e.g. `endOnFailure`, a seed of its own) pass through.
 */
export function propertyRuns<T>(fullRuns: number, extra: Parameters<T> = {}): Parameters<T> {
  return { seed: inject("propertySeed"), ...extra, numRuns: Math.max(1, Math.round(fullRuns * inject("propertyRuns"))) };
}
