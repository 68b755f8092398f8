// Several isolates admitting one key's traffic from leases, its object deciding the rest, in
// virtual time: every Durable Object call takes a one-way delay each way, and the object serves
// its calls one at a time, each taking `objectServiceMs` (1 ms: the documented ~1,000 calls/s).
// Pure: drives the lease modules through the `LeaseSystem` adapter, no timers, no I/O.
import type { Arrivals, LimitSpec, Rng } from "../accuracy/traffic.ts";
import { EventQueue } from "./event-queue.ts";

/** The object's side of the lease protocol for one key. */
export interface LeaseObject<Report, Grant> {
  /** A request its isolate could not admit from a lease: decided exactly, maybe with a lease for that isolate. */
  decide(now: number, isolate: number, cost: number, report: Report): { allowed: boolean; grant: Grant };
  /** A background renewal: the isolate reports its use and gets its next lease (possibly none). */
  renew(now: number, isolate: number, report: Report): Grant;
}

/** An isolate's side: the lease it holds, on its own clock. */
export interface LeaseHolder<Report, Grant> {
  /** Admits from the lease with no I/O, or false: ask the object. */
  tryAdmit(now: number, cost: number): boolean;
  /** Whether to renew in the background now (none is in flight). */
  wantsRenewal(now: number): boolean;
  /** What the next call tells the object. */
  report(now: number): Report;
  /** A grant from a call sent at `sentAt` (the lease counts from then, never from arrival). */
  accept(grant: Grant, sentAt: number): void;
}

export interface LeaseSystem<Report, Grant> {
  name: string;
  object(limits: LimitSpec[]): LeaseObject<Report, Grant>;
  holder(isolate: number): LeaseHolder<Report, Grant>;
}

export interface ClusterOptions {
  isolates: number;
  /** One-way delay of each call and of each answer. */
  delayMs: (rng: Rng) => number;
  /** The object's time per call; 0: unlimited. */
  objectServiceMs: number;
  rng: Rng;
}

export interface ClusterRun {
  /** Per request, in arrival order. */
  allowed: Uint8Array;
  /** When each request was decided: on arrival when a lease admitted it, else when the object did. */
  decidedAt: Float64Array;
  /** Requests admitted from a lease, without waiting for the object. */
  admittedLocally: number;
  objectCalls: number;
  renewals: number;
  /** Longest a call waited for the object, ms (its queue). */
  maxQueueMs: number;
}

export function runCluster<R, G>(system: LeaseSystem<R, G>, limits: LimitSpec[], arrivals: Arrivals, options: ClusterOptions): ClusterRun {
  const { times, costs } = arrivals;
  const { rng } = options;
  const events = new EventQueue();
  const object = system.object(limits);
  const holders = Array.from({ length: options.isolates }, (_, i) => system.holder(i));
  const renewing = new Uint8Array(options.isolates);
  const run: ClusterRun = {
    allowed: new Uint8Array(times.length),
    decidedAt: new Float64Array(times.length),
    admittedLocally: 0,
    objectCalls: 0,
    renewals: 0,
    maxQueueMs: 0,
  };
  let objectFreeAt = Number.NEGATIVE_INFINITY;

  /** Sends a call at `sentAt`: the object runs `serve` when it gets to it, the answer comes back after. */
  const call = (sentAt: number, serve: (at: number) => () => void) => {
    run.objectCalls++;
    events.schedule(sentAt + options.delayMs(rng), () => {
      const arrived = events.now;
      const at = Math.max(arrived, objectFreeAt);
      objectFreeAt = at + options.objectServiceMs;
      run.maxQueueMs = Math.max(run.maxQueueMs, at - arrived);
      events.schedule(at, () => {
        const answer = serve(at);
        events.schedule(at + options.delayMs(rng), answer);
      });
    });
  };

  const maybeRenew = (isolate: number, now: number) => {
    const holder = holders[isolate]!;
    if (renewing[isolate] || !holder.wantsRenewal(now)) return;
    renewing[isolate] = 1;
    run.renewals++;
    const report = holder.report(now);
    call(now, (at) => {
      const grant = object.renew(at, isolate, report);
      return () => {
        renewing[isolate] = 0;
        holder.accept(grant, now);
      };
    });
  };

  for (let i = 0; i < times.length; i++) {
    const now = times[i]!;
    events.runUntil(now);
    const isolate = Math.floor(rng() * options.isolates);
    const holder = holders[isolate]!;
    if (holder.tryAdmit(now, costs[i]!)) {
      run.allowed[i] = 1;
      run.decidedAt[i] = now;
      run.admittedLocally++;
    } else {
      const report = holder.report(now);
      call(now, (at) => {
        const { allowed, grant } = object.decide(at, isolate, costs[i]!, report);
        run.allowed[i] = allowed ? 1 : 0;
        run.decidedAt[i] = at;
        return () => holder.accept(grant, now);
      });
    }
    maybeRenew(isolate, now);
  }
  events.runUntil(Number.POSITIVE_INFINITY);
  return run;
}
