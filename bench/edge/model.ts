// The edge model: draws one world from the options and runs every design over it; what it is and
// what it leaves out: docs/performance.md "The long tail at the edge".
import { runGateway } from "./gateway.ts";
import type { EdgeOptions } from "./options.ts";
import { runCentralVerify, runEdgeCache } from "./peers.ts";
import { type DesignName, type DesignResult, EdgeRun } from "./run.ts";
import { drawWorld, type EdgeWorld } from "./traffic.ts";

export const DESIGNS: { name: DesignName; run: (run: EdgeRun) => void }[] = [
  { name: "gateway-before", run: (run) => runGateway(run, false) },
  { name: "gateway", run: (run) => runGateway(run, true) },
  { name: "central-verify", run: runCentralVerify },
  { name: "edge-cache-60s", run: runEdgeCache },
];

/** Runs one design over `world`: its figures, and each request's trips and added latency. */
export function traceDesign(
  world: EdgeWorld,
  options: EdgeOptions,
  name: DesignName,
): { result: DesignResult; trips: Uint32Array; addedMs: Float64Array } {
  const index = DESIGNS.findIndex((d) => d.name === name);
  const run = new EdgeRun(world, options, index);
  DESIGNS[index]!.run(run);
  return { result: run.result(name), trips: run.trips, addedMs: run.added };
}

export const runDesign = (world: EdgeWorld, options: EdgeOptions, name: DesignName): DesignResult =>
  traceDesign(world, options, name).result;

/** bench/results/edge.json: exactly these fields. */
export interface EdgeResults {
  rttMs: { d1: number; object: number };
  /** Requests per second over all locations. */
  rate: number;
  designs: DesignResult[];
}

export const edgeResults = (options: EdgeOptions, designs: DesignResult[]): EdgeResults => ({
  rttMs: { d1: options.d1RttMs, object: options.objectRttMs },
  rate: options.rate,
  designs,
});

export function runEdgeModel(
  options: EdgeOptions,
  onDesign?: (result: DesignResult) => void,
): { world: EdgeWorld; designs: DesignResult[] } {
  const world = drawWorld(options);
  const designs = DESIGNS.map(({ name }) => {
    const result = runDesign(world, options, name);
    onDesign?.(result);
    return result;
  });
  return { world, designs };
}
