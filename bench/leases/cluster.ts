// Several isolates admitting one key's traffic from leases, its object deciding the rest, in
// virtual time: every Durable Object call takes a one-way delay each way, and the object serves
// its calls one at a time, each taking `objectServiceMs` (1 ms: the documented ~1,000 calls/s).
// Pure: drives the lease modules through the `LeaseSystem` adapter, no timers, no I/O.
import type { Arrivals, LimitSpec, Rng } from "../accuracy/traffic.ts";
import { EventQueue } from "./event-queue.ts";

/** The object's side of the lease protocol for one key. */
export interface LeaseObject<Ask, Answer> {
  /** A request its isolate could not decide from a lease: decided exactly, the answer maybe carrying a lease. */
  decide(now: number, cost: number, ask: Ask): { allowed: boolean; answer: Answer };
  /** A background renewal: the isolate reports its use and gets its next lease (possibly none). */
  renew(now: number, ask: Ask): Answer;
}

/** What a lease decides with no I/O: admitted, refused (a refusal the object gave, still standing), or ask the object. */
export type LocalDecision = "admitted" | "refused" | "ask";

/** An isolate's side: the lease it holds, on its own clock. */
export interface LeaseHolder<Ask, Answer> {
  /** A request arrived asking for `cost` units (the demand leases are sized from). */
  observe(cost: number): void;
  decideHere(now: number, cost: number): LocalDecision;
  /** Whether an answer in flight may bring a lease: its last one did, or none came yet. Else ask per request. */
  expectsLease(): boolean;
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

/** One isolate: its lease, its calls in flight, and the requests waiting for one of them. */
interface Isolate<Ask, Answer> {
  id: number;
  holder: LeaseHolder<Ask, Answer>;
  inFlight: number;
  renewing: boolean;
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
    inFlight: 0,
    renewing: false,
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
  const call = (isolate: Isolate<Ask, Answer>, sentAt: number, serve: (at: number) => Answer, answered: (answer: Answer) => void) => {
    run.objectCalls++;
    isolate.inFlight++;
    events.schedule(sentAt + options.delayMs(rng), () => {
      const arrived = events.now;
      const at = Math.max(arrived, objectFreeAt);
      objectFreeAt = at + options.objectServiceMs;
      run.maxQueueMs = Math.max(run.maxQueueMs, at - arrived);
      events.schedule(at, () => {
        const answer = serve(at);
        events.schedule(at + options.delayMs(rng), () => {
          isolate.inFlight--;
          answered(answer);
          retryWaiting(isolate, events.now);
        });
      });
    });
  };

  const askObject = (isolate: Isolate<Ask, Answer>, i: number, now: number) => {
    const ask = isolate.holder.ask(now);
    call(
      isolate,
      now,
      (at) => {
        const { allowed, answer } = object.decide(at, costs[i]!, ask);
        run.allowed[i] = allowed ? 1 : 0;
        run.decidedAt[i] = at;
        run.decided++;
        return answer;
      },
      (answer) => isolate.holder.take(ask, answer),
    );
  };

  /**
   * Decides request `i` here if the lease can; else it waits for a call already in flight that may
   * bring a lease (one call per lease, not a stampede), or asks the object itself.
   */
  const handle = (isolate: Isolate<Ask, Answer>, i: number, now: number) => {
    const here = isolate.holder.decideHere(now, costs[i]!);
    if (here === "ask") {
      if (isolate.inFlight > 0 && isolate.holder.expectsLease()) isolate.waiting.push(i);
      else askObject(isolate, i, now);
      return;
    }
    run.allowed[i] = here === "admitted" ? 1 : 0;
    run.decidedAt[i] = now;
    run.decided++;
    if (here === "admitted") run.admittedLocally++;
    else run.refusedLocally++;
  };

  const retryWaiting = (isolate: Isolate<Ask, Answer>, now: number) => {
    const waiting = isolate.waiting;
    isolate.waiting = [];
    for (const i of waiting) handle(isolate, i, now);
  };

  const maybeRenew = (isolate: Isolate<Ask, Answer>, now: number) => {
    if (isolate.renewing || !isolate.holder.wantsRenewal(now)) return;
    isolate.renewing = true;
    run.renewals++;
    const ask = isolate.holder.ask(now);
    call(
      isolate,
      now,
      (at) => object.renew(at, ask),
      (answer) => {
        isolate.renewing = false;
        isolate.holder.take(ask, answer);
      },
    );
  };

  const stopAt = options.stopAt ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < times.length && times[i]! <= stopAt; i++) {
    const now = times[i]!;
    events.runUntil(now);
    const isolate = isolates[Math.floor(rng() * options.isolates)]!;
    isolate.holder.observe(costs[i]!);
    handle(isolate, i, now);
    maybeRenew(isolate, now);
  }
  events.runUntil(stopAt);
  return run;
}
