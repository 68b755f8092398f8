// Several isolates admitting one key's traffic from leases, its object deciding the rest, in
// virtual time: every Durable Object call takes a one-way delay each way, and the object serves
// its calls one at a time, each taking `objectServiceMs` (1 ms: the documented ~1,000 calls/s).
// Each isolate runs the gateway's lease client (virtual-isolates.ts); pure, no timers, no I/O.
import type { Arrivals, LimitSpec, Rng } from "../accuracy/traffic.ts";
import { EventQueue } from "./event-queue.ts";
import { ObjectLink, VirtualIsolate, type VirtualObject } from "./virtual-isolates.ts";

/** The key's object as one system builds it, and the `LEASE_TTL_MS` its isolates run with (0: no leases). */
export interface LeaseSystem {
  name: string;
  ttlMs: number;
  object(limits: LimitSpec[]): VirtualObject;
}

export interface ClusterOptions {
  isolates: number;
  /** One-way delay of each call and of each answer. */
  delayMs: (rng: Rng) => number;
  /** The object's time per call; 0: unlimited. */
  objectServiceMs: number;
  rng: Rng;
  /** Stop here (virtual ms); requests still waiting then stay undecided (not admitted). Default: run until all are decided. */
  stopAt?: number;
}

export interface ClusterRun {
  /** Per request, in arrival order (0 also for a request still undecided at `stopAt`). */
  allowed: Uint8Array;
  /** When each request was decided: when its isolate did, else when the object did. */
  decidedAt: Float64Array;
  /** Requests decided by `stopAt` (all of them without it). */
  decided: number;
  /** Requests admitted from a lease, with no call of their own. */
  admittedLocally: number;
  /** Requests refused by a refusal the object gave earlier, with no call of their own. */
  refusedLocally: number;
  objectCalls: number;
  renewals: number;
  /** Longest a call waited for the object, ms (its queue). */
  maxQueueMs: number;
}

export function runCluster(system: LeaseSystem, limits: LimitSpec[], arrivals: Arrivals, options: ClusterOptions): ClusterRun {
  const { times, costs } = arrivals;
  const { rng } = options;
  const events = new EventQueue();
  const link = new ObjectLink(events, { delayMs: () => options.delayMs(rng), serviceMs: options.objectServiceMs });
  const object = system.object(limits);
  const isolates = Array.from({ length: options.isolates }, (_, id) => new VirtualIsolate(link, `isolate-${id}`));
  const transports = isolates.map((isolate) => isolate.transport(object));
  const run: ClusterRun = {
    allowed: new Uint8Array(times.length),
    decidedAt: new Float64Array(times.length),
    decided: 0,
    admittedLocally: 0,
    refusedLocally: 0,
    objectCalls: 0,
    renewals: 0,
    maxQueueMs: 0,
  };
  const leased = system.ttlMs > 0;

  const stopAt = options.stopAt ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < times.length && times[i]! <= stopAt; i++) {
    events.runUntil(times[i]!);
    const which = Math.floor(rng() * options.isolates);
    const decided = (admitted: boolean, at: number, byObject = true) => {
      run.allowed[i] = admitted ? 1 : 0;
      run.decidedAt[i] = at;
      run.decided++;
      if (byObject) return;
      if (admitted) run.admittedLocally++;
      else run.refusedLocally++;
    };
    if (leased)
      isolates[which]!.admit(
        { keyId: "key", route: "/", version: 0, cost: costs[i]!, bounded: true, ttlMs: system.ttlMs },
        transports[which]!,
        decided,
      );
    else isolates[which]!.askObject(object, costs[i]!, decided);
  }
  events.runUntil(stopAt);
  run.objectCalls = link.calls;
  run.renewals = link.renewals;
  run.maxQueueMs = link.maxQueueMs;
  return run;
}
