// Isolates in virtual time: each runs the gateway's own lease client (src/ratelimit/lease-client.ts)
// on a clock read from one event queue, its object calls delayed both ways and queued at the key's
// object, its background work scheduled on the queue. Used by bench/leases/cluster.ts and by the
// lease simulation of the property tests (test/support/lease-simulation.ts). Pure, no timers.
import { type LeaseAdmission, LeaseClient, type LeaseDecision, type LeaseTransport } from "../../src/ratelimit/lease-client.ts";
import type { LeaseRequest } from "../../src/ratelimit/lease-holder.ts";
import type { EventQueue } from "./event-queue.ts";

/** The key's object as a simulation models it: decides at virtual time `at`. */
export interface VirtualObject {
  /** A request; with `lease`, the isolate's reports first and maybe a lease handed back. */
  check(at: number, cost: number, lease: LeaseRequest | undefined): LeaseDecision;
  /** A background renewal: the isolate's reports, then maybe its next lease. */
  renew(at: number, lease: LeaseRequest): LeaseDecision;
}

export interface ObjectLinkOptions {
  /** One leg's delay, ms: each call and each answer draws one. */
  delayMs: () => number;
  /** The object's time per call (its calls queue); 0: unlimited. */
  serviceMs: number;
  /** Whether an answer is lost, drawn once the object decided; never when absent. */
  lost?: () => boolean;
  /** The isolate gives up on a call after this long (`limiter_unavailable`); never when absent. */
  timeoutMs?: number;
}

/** A call given up on: its answer was lost or came too late. */
export class CallTimedOut extends Error {}

/** The way to the key's object and back, shared by every isolate: counts calls and how long they queued. */
export class ObjectLink {
  calls = 0;
  renewals = 0;
  /** Longest a call waited for the object, ms (its queue). */
  maxQueueMs = 0;
  /** Every decision the object made for a leasing isolate, and when: a decision not here was made by the isolate. */
  readonly decidedAt = new WeakMap<LeaseDecision, number>();
  private freeAt = Number.NEGATIVE_INFINITY;
  readonly events: EventQueue;
  private readonly options: ObjectLinkOptions;

  constructor(events: EventQueue, options: ObjectLinkOptions) {
    this.events = events;
    this.options = options;
  }

  /** Sends a call now: the object runs `serve` when it gets to it (`at`); then `answered` when the answer is back, or `failed`. */
  send(serve: (at: number) => LeaseDecision, answered: (decision: LeaseDecision, at: number) => void, failed: () => void): void {
    const { events, options } = this;
    const sentAt = events.now;
    const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
    this.calls++;
    events.schedule(sentAt + options.delayMs(), () => {
      const arrived = events.now;
      const at = Math.max(arrived, this.freeAt);
      this.freeAt = at + options.serviceMs;
      this.maxQueueMs = Math.max(this.maxQueueMs, at - arrived);
      events.schedule(at, () => {
        const decision = serve(at);
        if (options.lost?.()) {
          if (Number.isFinite(timeoutMs)) events.schedule(sentAt + timeoutMs, failed);
          return;
        }
        const back = at + options.delayMs();
        if (back - sentAt > timeoutMs) events.schedule(sentAt + timeoutMs, failed);
        else events.schedule(back, () => answered(decision, at));
      });
    });
  }
}

/** One isolate: the lease client on its own clock (the queue's time plus its skew); once dead, it hears nothing more. */
export class VirtualIsolate {
  dead = false;
  readonly client: LeaseClient;
  private readonly link: ObjectLink;

  /** `skewMs`: how far its clock is off the queue's time. */
  constructor(link: ObjectLink, name: string, skewMs = 0) {
    this.link = link;
    const events = link.events;
    this.client = new LeaseClient({ clock: () => events.now + skewMs, isolateId: () => name });
  }

  /** What this isolate's requests to `object` call and schedule (make one per object, not per request). */
  transport(object: VirtualObject): LeaseTransport {
    const { link } = this;
    const events = link.events;
    return {
      call: (call, answered, failed) => {
        if (call.kind === "renew") link.renewals++;
        link.send(
          (at) => (call.kind === "renew" ? object.renew(at, call.lease) : object.check(at, call.cost, call.lease)),
          (decision, at) => {
            link.decidedAt.set(decision, at);
            if (!this.dead) answered(decision);
          },
          () => {
            if (!this.dead) failed(new CallTimedOut());
          },
        );
      },
      later: (delayMs, task) =>
        events.schedule(events.now + delayMs, () => {
          if (!this.dead) task();
        }),
    };
  }

  /**
   * Decides a request now, as the middleware does: `done` gets whether it was admitted, when it was
   * decided (the object's moment when the object decided it, else the moment it was decided here)
   * and whether the object did. A failed call refuses (nothing reaches the upstream).
   */
  admit(request: LeaseAdmission, transport: LeaseTransport, done: (admitted: boolean, at: number, byObject: boolean) => void): void {
    const { link } = this;
    this.client.admit(
      request,
      transport,
      (decision) => {
        const decidedAt = link.decidedAt.get(decision);
        done(decision.outcome === "allowed", decidedAt ?? link.events.now, decidedAt !== undefined);
      },
      () => done(false, link.events.now, false),
    );
  }

  /** LEASE_TTL_MS=0: the request asks the object, no lease; decided when the object decides it (no isolate state waits for the answer). */
  askObject(object: VirtualObject, cost: number, done: (admitted: boolean, at: number) => void): void {
    this.link.send(
      (at) => {
        const decision = object.check(at, cost, undefined);
        done(decision.outcome === "allowed", at);
        return decision;
      },
      () => {},
      () => {},
    );
  }
}
