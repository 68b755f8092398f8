// The edge model's invariants (bench/edge/), on hand-made and small seeded worlds: the trips each
// design takes for a cold key, the bounds the gateway keeps, and the shape of bench/results/edge.json.
// Virtual time: no clock is read.
import { describe, expect, it } from "vitest";
import { DESIGNS, edgeResults, runDesign, runEdgeModel, traceDesign } from "../../bench/edge/model.ts";
import { DEFAULT_EDGE_OPTIONS, type EdgeOptions } from "../../bench/edge/options.ts";
import type { DesignName } from "../../bench/edge/run.ts";
import { drawWorld, type EdgeKey, type EdgeWorld } from "../../bench/edge/traffic.ts";

const options: EdgeOptions = { ...DEFAULT_EDGE_OPTIONS, keys: 500, rate: 200, durationMs: 20_000, revocations: 4, revokeAmong: 20 };

/** One isolate living the whole run, and these requests `[at, key]` on it. */
function handMade(keys: Partial<EdgeKey>[], requests: [number, number][]): EdgeWorld {
  return {
    keys: keys.map((k, rank) => ({
      rank,
      hash: `key-${rank}`,
      limit: 1000,
      windowMs: 60_000,
      overDemand: false,
      revokedAt: null,
      imported: false,
      ...k,
    })),
    isolates: [{ id: 0, location: 0, start: 0, end: 60_000 }],
    times: Float64Array.from(requests.map(([at]) => at)),
    keyOf: Int32Array.from(requests.map(([, key]) => key)),
    isolateOf: new Int32Array(requests.length),
    popularity: new Float64Array(keys.length).fill(1 / keys.length),
  };
}

const run = (world: EdgeWorld, name: DesignName, o: EdgeOptions = options) => runDesign(world, o, name);

describe("the edge model", () => {
  // Request 0 (key 0) warms the isolate: its first forwarded requests read the import prefixes from D1.
  const WARM: [number, number] = [0, 0];
  const tripsOf = (world: EdgeWorld, name: DesignName) => Array.from(traceDesign(world, options, name).trips);

  it("gateway-before pays D1 then the object on a cold key; gateway one call; central-verify one; the edge cache one store read", () => {
    const cold = handMade([{}, {}, {}], [WARM, [1000, 1], [1005, 2]]);
    expect(tripsOf(cold, "gateway-before").slice(1)).toEqual([2, 2]);
    expect(tripsOf(cold, "gateway").slice(1)).toEqual([1, 1]);
    expect(tripsOf(cold, "central-verify")).toEqual([1, 1, 1]);
    expect(tripsOf(cold, "edge-cache-60s")).toEqual([1, 1, 1]);
    const added = traceDesign(cold, options, "gateway-before").addedMs[1]!;
    expect(added).toBeGreaterThanOrEqual((1 - options.rttJitter) * (options.d1RttMs + options.objectRttMs));
  });

  it("gateway's object holds a key's record from its creation: a cold key's resolve reads D1 there only with --cold-objects", () => {
    const cold = handMade([{}, {}], [WARM, [1000, 1]]);
    const at = (o: EdgeOptions) => traceDesign(cold, { ...o, rttJitter: 0 }, "gateway").addedMs[1];
    expect(at(options)).toBe(options.objectRttMs);
    expect(at({ ...options, coldObjects: true })).toBe(options.objectRttMs + options.objectD1RttMs);
  });

  it("an isolate's first forwarded request reads the import prefixes first in gateway-before (one more trip), in the background in gateway", () => {
    const first = handMade([{}], [WARM]);
    expect(tripsOf(first, "gateway-before")).toEqual([3]);
    expect(tripsOf(first, "gateway")).toEqual([1]);
  });

  it("gateway: a cold key's resolve brings a lease, so its next request in the isolate within it makes no trip", () => {
    const again = handMade([{}, {}], [WARM, [1000, 1], [1400, 1]]);
    expect(tripsOf(again, "gateway").slice(1)).toEqual([1, 0]);
  });

  it("gateway: a cold key's resolve raced by another cold request of the key keeps no lease, so its next request asks", () => {
    const raced = handMade([{}, {}], [WARM, [1000, 1], [1005, 1], [1400, 1]]);
    expect(tripsOf(raced, "gateway").slice(1)).toEqual([1, 1, 1]);
  });

  it("gateway keeps the D1 lookup for an imported key: two trips", () => {
    const imported = handMade([{}, { imported: true }], [WARM, [1000, 1]]);
    expect(tripsOf(imported, "gateway")[1]).toBe(2);
  });

  it("gateway makes at most one trip for any cold own-format request, however many arrive together", () => {
    const together = handMade([{}, {}, {}], [WARM, ...Array.from({ length: 20 }, (_, i): [number, number] => [1000 + i, 1 + (i % 2)])]);
    expect(Math.max(...tripsOf(together, "gateway").slice(1))).toBe(1);
    expect(Math.max(...tripsOf(together, "gateway-before").slice(1))).toBeGreaterThanOrEqual(2);
  });

  it("the edge cache serves a location's second request with no trip, but admits a revoked key until its entry expires", () => {
    const world = handMade(
      [{ revokedAt: 1000 }],
      [
        [0, 0],
        [500, 0],
        [30_000, 0],
        [61_000, 0],
      ],
    );
    world.isolates[0]!.end = 70_000;
    const cache = run(world, "edge-cache-60s");
    expect(cache.remoteRoundTrips.mean).toBe(0.5);
    expect(cache.revocationMs.max).toBe(29_000);
    expect(run(world, "central-verify").revocationMs.max).toBe(0);
  });

  it("central-verify makes exactly one trip per request, and no design but the edge cache lets a window over its limit", () => {
    const world = drawWorld(options);
    const results = Object.fromEntries(DESIGNS.map(({ name }) => [name, run(world, name)]));
    expect(results["central-verify"]!.remoteRoundTrips).toEqual({ mean: 1, max: 1 });
    for (const name of ["gateway-before", "gateway", "central-verify"]) expect(results[name]!.overLimit).toBe(0);
    // Revocation reaches every isolate within a lease TTL and one round trip.
    const bound = options.leaseTtlMs + (1 + options.rttJitter) * options.objectRttMs;
    for (const name of ["gateway-before", "gateway"]) expect(results[name]!.revocationMs.max).toBeLessThanOrEqual(bound);
  }, 120_000);

  it("writes edge.json as {rttMs, rate, designs: [{name, addedMs, remoteRoundTrips, overLimit, revocationMs}]}", () => {
    const small = { ...options, durationMs: 5_000 };
    const json = JSON.parse(JSON.stringify(edgeResults(small, runEdgeModel(small).designs)));
    expect(Object.keys(json).sort()).toEqual(["designs", "rate", "rttMs"]);
    expect(json.rttMs).toEqual({ d1: 60, object: 40 });
    expect(json.rate).toBe(200);
    expect(json.designs.map((d: { name: string }) => d.name)).toEqual(["gateway-before", "gateway", "central-verify", "edge-cache-60s"]);
    for (const design of json.designs) {
      expect(Object.keys(design).sort()).toEqual(["addedMs", "name", "overLimit", "remoteRoundTrips", "revocationMs"]);
      expect(Object.keys(design.addedMs).sort()).toEqual(["mean", "p50", "p99"]);
      expect(Object.keys(design.remoteRoundTrips).sort()).toEqual(["max", "mean"]);
      expect(Object.keys(design.revocationMs)).toEqual(["max"]);
      for (const n of [design.addedMs.mean, design.addedMs.p50, design.addedMs.p99, design.remoteRoundTrips.mean, design.overLimit])
        expect(Number.isFinite(n)).toBe(true);
    }
  }, 120_000);
});
