/**
 * The peers' designs in the edge model. `central-verify` (Unkey-style): every request asks a
 * verifier as far away as the key's object, which decides exactly. `edge-cache-60s` (Zuplo-style):
 * each location caches records for 60 s (the gateway's key cache logic with that TTL), a miss reads the
 * store; each isolate counts every limit on its own, with no coordination (the gateway's SlidingWindow).
 */
import { decide, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import { KeyObject } from "./key-object.ts";
import { recordAt, recordCache, refusedByRecord } from "./records.ts";
import { type EdgeRequest, type EdgeRun, made } from "./run.ts";

export function runCentralVerify(run: EdgeRun): void {
  const { world, options } = run;
  const verifiers = new Map<number, KeyObject>();
  run.drive((request) => {
    const decider = made(verifiers, request.key, () => new KeyObject(world.keys[request.key]!, 0));
    request.trips++;
    run.trip(
      request.arrivedAt,
      options.objectRttMs,
      (at) => decider.verify(at),
      (back, answer) => run.finish(request, back, answer.outcome === "allowed", answer.decidedAt),
    );
  });
}

export function runEdgeCache(run: EdgeRun): void {
  const { world, options } = run;
  const caches = options.locations.map(() => recordCache(options.keyCacheEntries, options.edgeCacheTtlMs));
  /** Per isolate and key: its own window, knowing nothing of the others'. */
  const windows = new Map<string, SlidingWindow>();
  const judge = (request: EdgeRequest, now: number, revoked: boolean) => {
    if (revoked) return run.finish(request, now, false);
    const key = world.keys[request.key]!;
    const name = `${request.isolate}/${request.key}`;
    const window = made(windows, name, () => new SlidingWindow(key.windowMs));
    run.finish(request, now, decide([{ limit: key.limit, window }], now, 1).allowed);
  };
  run.drive((request) => {
    const now = request.arrivedAt;
    const key = world.keys[request.key]!;
    const cache = caches[world.isolates[request.isolate]!.location]!;
    const cached = cache.get(key.hash, now)?.record;
    if (cached) return judge(request, now, refusedByRecord(cached, now));
    request.trips++;
    run.trip(
      now,
      options.d1RttMs,
      (at) => recordAt(key, at),
      (back, record) => {
        cache.set(key.hash, record, back);
        judge(request, back, refusedByRecord(record, back));
      },
    );
  });
}
