// Several isolates admitting one key's traffic from leases, its object deciding the rest, in
// virtual time: every Durable Object call takes a one-way delay each way, and the object serves
// its calls one at a time, each taking `objectServiceMs` (1 ms: the documented ~1,000 calls/s).
// Pure: drives the lease modules through the `LeaseSystem` adapter, no timers, no I/O.
import type { Arrivals, LimitSpec, Rng } from "../accuracy/traffic.ts";
import { EventQueue } from "./event-queue.ts";

/** The object's side of the lease protocol for one key. */
export interface LeaseObject<Ask, Answer> {
  /** A request its isolate could not decide from a lease: decided exactly; with an ask, the answer may carry a lease. */
  decide(now: number, cost: number, ask: Ask | undefined): { allowed: boolean; answer: Answer };
  /** A background renewal: the isolate reports its use and gets its next lease (possibly none). */
  renew(now: number, ask: Ask): Answer;
}

/** What an isolate does with a request (src/ratelimit/lease-holder.ts `LeaseSlot.step`). */
export type LocalStep = "admitted" | "refused" | "wait" | "call";

/** An isolate's side: the lease it holds, on its own clock. */
export interface LeaseHolder<Ask, Answer> {
  /** A request arrived asking for `cost` units (the demand leases are sized from). */
  observe(cost: number): void;
  /** `calling`: a call that may bring a lease is in flight; `waited`: the request already waited for one. */
  step(now: number, cost: number, calling: boolean, waited: boolean): LocalStep;
  /** Whether to renew in the background now (none is in flight). */
  wantsRenewal(now: number): boolean;
  /** What a call sent now tells the object. */
  ask(now: number): Ask;
  /** The object's answer to `ask`. */
  take(ask: Ask, answer: Answer): void;
}

export interface LeaseSystem<Ask, Answer> {
  name: string;
  object(limits: LimitSpec[]): LeaseObject<Ask, Answer>;
  holder(isolate: number): LeaseHolder<Ask, Answer>;
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
  /** When each request was decided: on arrival when its isolate did, else when the object did. */
  decidedAt: Float64Array;
  /** Requests decided by `stopAt` (all of them without it). */
  decided: number;
  /** Requests admitted from a lease, without waiting for the object. */
  admittedLocally: number;
  /** Requests refused by a refusal the object gave earlier, without waiting for it. */
  refusedLocally: number;
  objectCalls: number;
  renewals: number;
  /** Longest a call waited for the object, ms (its queue). */
  maxQueueMs: number;
}

/** One isolate: its lease, whether a call that may bring a lease is in flight, and the requests waiting for it. */
interface Isolate<Ask, Answer> {
  id: number;
  holder: LeaseHolder<Ask, Answer>;
  leaseCall: boolean;
  waiting: number[];
}

export function runCluster<Ask, Answer>(
  system: LeaseSystem<Ask, Answer>,
  limits: LimitSpec[],
  arrivals: Arrivals,
  options: ClusterOptions,
): ClusterRun {
  const { times, costs } = arrivals;
  const { rng } = options;
  const events = new EventQueue();
  const object = system.object(limits);
  const isolates: Isolate<Ask, Answer>[] = Array.from({ length: options.isolates }, (_, id) => ({
    id,
    holder: system.holder(id),
    leaseCall: false,
    waiting: [],
  }));
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
  let objectFreeAt = Number.NEGATIVE_INFINITY;

  /** Sends a call at `sentAt`: the object runs `serve` when it gets to it; `answered` runs when its answer is back. */
  const call = (sentAt: number, serve: (at: number) => Answer, answered: (answer: Answer) => void) => {
    run.objectCalls++;
    events.schedule(sentAt + options.delayMs(rng), () => {
      const arrived = events.now;
      const at = Math.max(arrived, objectFreeAt);
      objectFreeAt = at + options.objectServiceMs;
      run.maxQueueMs = Math.max(run.maxQueueMs, at - arrived);
      events.schedule(at, () => {
        const answer = serve(at);
        events.schedule(at + options.delayMs(rng), () => answered(answer));
      });
    });
  };

  /** The object decides request `i`; with `ask` (the isolate's one lease call), its answer may bring a lease. */
  const askObject = (isolate: Isolate<Ask, Answer>, i: number, now: number, ask: Ask | undefined) => {
    if (ask !== undefined) isolate.leaseCall = true;
    call(
      now,
      (at) => {
        const { allowed, answer } = object.decide(at, costs[i]!, ask);
        run.allowed[i] = allowed ? 1 : 0;
        run.decidedAt[i] = at;
        run.decided++;
        return answer;
      },
      (answer) => {
        if (ask === undefined) return;
        isolate.leaseCall = false;
        isolate.holder.take(ask, answer);
        retryWaiting(isolate, events.now);
      },
    );
  };

  /** Decides request `i` as the middleware does: here, after the call in flight, or by the object. */
  const handle = (isolate: Isolate<Ask, Answer>, i: number, now: number, waited: boolean) => {
    const step = isolate.holder.step(now, costs[i]!, isolate.leaseCall, waited);
    if (step === "wait") isolate.waiting.push(i);
    else if (step === "call") askObject(isolate, i, now, isolate.leaseCall ? undefined : isolate.holder.ask(now));
    else {
      run.allowed[i] = step === "admitted" ? 1 : 0;
      run.decidedAt[i] = now;
      run.decided++;
      if (step === "admitted") {
        run.admittedLocally++;
        maybeRenew(isolate, now);
      } else run.refusedLocally++;
    }
  };

  const retryWaiting = (isolate: Isolate<Ask, Answer>, now: number) => {
    const waiting = isolate.waiting;
    isolate.waiting = [];
    for (const i of waiting) handle(isolate, i, now, true);
  };

  const maybeRenew = (isolate: Isolate<Ask, Answer>, now: number) => {
    if (isolate.leaseCall || !isolate.holder.wantsRenewal(now)) return;
    isolate.leaseCall = true;
    run.renewals++;
    const ask = isolate.holder.ask(now);
    call(
      now,
      (at) => object.renew(at, ask),
      (answer) => {
        isolate.leaseCall = false;
        isolate.holder.take(ask, answer);
        retryWaiting(isolate, events.now);
      },
    );
  };

  const stopAt = options.stopAt ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < times.length && times[i]! <= stopAt; i++) {
    const now = times[i]!;
    events.runUntil(now);
    const isolate = isolates[Math.floor(rng() * options.isolates)]!;
    isolate.holder.observe(costs[i]!);
    handle(isolate, i, now, false);
  }
  events.runUntil(stopAt);
  return run;
}
