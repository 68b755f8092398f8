/**
 * The isolate's lease client: a pure state machine over the lease slots (lease-holder.ts) that the
 * middleware, the lease simulation and the benchmarks all drive; clock, object calls and scheduler
 * are injected, so virtual time drives it exactly as the runtime does (docs/rate-limits.md).
 */
import { type LeaseRequest, LeaseSlot, type SentAsk } from "./lease-holder.ts";
import { defaultLeasePolicy, type LeaseGrant } from "./lease-ledger.ts";

/** What the client reads of a decision's policy (decision.ts `PolicyState` is one). */
export interface DecisionPolicy {
  remaining: number;
  /** Whole seconds until it has room again. */
  reset: number;
}

/** What the client reads of a decision's quota (quota.ts `QuotaState` is one). */
export interface DecisionQuota {
  remaining: number;
}

/**
 * A decision as the client reads it from the object and makes it here (an admission from the lease,
 * a refusal): decision.ts's `LimitDecision` is `LeaseDecision<CheckOutcome, PolicyState, QuotaState>`.
 * Stated apart so this file compiles for Node too (bench/, the simulation), without the worker's types.
 */
export interface LeaseDecision<
  Outcome extends string = string,
  Policy extends DecisionPolicy = DecisionPolicy,
  Quota extends DecisionQuota = DecisionQuota,
> {
  outcome: Outcome | "allowed" | "rate_limited";
  policies: Policy[];
  /** Index in `policies` of the one to report (denied, or nearest exhaustion); -1: none. */
  nearest: number;
  /** Whole seconds. */
  retryAfter?: number;
  /** A lease handed back with the answer. */
  lease?: LeaseGrant;
  /** On `rate_limited` to a lease request: how long the isolate may refuse on its own (a zero lease). */
  refuseForMs?: number;
  quota?: Quota;
}

/** A decision the client makes here from the object's (an admission from the lease, a refusal at the limit): of D's policies and quota. */
export type LocalDecision<D extends LeaseDecision> = LeaseDecision<
  "allowed" | "rate_limited",
  D["policies"][number],
  NonNullable<D["quota"]>
>;

/**
 * One call to the key's object. `check`: a request waits for its decision (`lease`: the isolate's
 * reports and a wish for a lease handed back; absent: a plain check). `renew`: the reports and a
 * lease ask, deciding no request; always in the background, nobody waits for it.
 */
export type ObjectCall = { kind: "check"; cost: number; lease?: LeaseRequest } | { kind: "renew"; lease: LeaseRequest };

/**
 * What the client needs from its surroundings, given with each request: the key's object and the
 * background, as that request may use them (in the Worker both are bound to the request's context).
 */
export interface LeaseTransport<D extends LeaseDecision = LeaseDecision> {
  /** Sends `call` to the key's object; then exactly one of `answered` (its decision) or `failed` (unreachable, too slow). */
  call(call: ObjectCall, answered: (decision: D) => void, failed: (error: unknown) => void): void;
  /** Runs `task` in the background after `delayMs` (the client's clock's ms). */
  later(delayMs: number, task: () => void): void;
  /**
   * Wraps what this request does once the call it waits for (another request's) is answered, so it
   * runs as this request's own work: in the Worker, in its own request context, since I/O started in
   * the answering request's context would belong to that request. Absent: it runs at once.
   */
  resume?(task: () => void): () => void;
}

/** One request to admit on a key's lease. */
export interface LeaseAdmission {
  keyId: string;
  /** The matched route's `path`: leases are per key and route. */
  route: string;
  /** The key record's version: a newer one (an admin write) ends the lease held on the older. */
  version: number;
  cost: number;
  /** The request has a limit or a quota: a lease pays off at any rate (else only once the key is busy here, `busyHere`). */
  bounded: boolean;
  /** `LEASE_TTL_MS`: no lease lives longer. */
  ttlMs: number;
}

export interface LeaseClientOptions {
  /** The isolate's clock, ms (`Date.now`, or a virtual one). */
  clock: () => number;
  /** Names this isolate at every object; called once, on first use (Workers allow no randomness at global scope). */
  isolateId: () => string;
  /** Leases held at most; the oldest goes first (a lease evicted is never reported: its object counts it until it expires). */
  maxEntries?: number;
}

/** The one call in flight that may bring a lease, and the requests waiting for its answer. */
interface Flight<D> {
  waiters: (() => void)[];
  /** Units of requests that may wait for it (`roomFor`): unbounded at a busy key, else named in its ask (`LeaseAsk.waiting`). */
  room: number;
  /** Units of the requests waiting for it. */
  waiting: number;
  /** Units its own request asked for; 0 for a renewal. */
  cost: number;
  /** Its answer, once in (none when the call failed): it decides every request that waited for it (`waiterRefusal`). */
  answer?: D;
}

interface HeldLease<D extends LeaseDecision> {
  /** Refuses with the object's refusal, or with `atLimit` of its `full` grant. */
  slot: LeaseSlot<D | LocalDecision<D>>;
  version: number;
  /** The object's last admitting answer: the `RateLimit` headers of local admissions start from it. */
  template: D | undefined;
  inFlight: Flight<D> | undefined;
  /** Requests seen here since `since`, within one TTL: whether a key with no limit and no quota is busy enough to lease. */
  recent: { since: number; requests: number };
  /** Calls the object answered: a background report stands down once a later answer has carried the reports. */
  answered: number;
  /** A background report of the refusals decided here is scheduled: one at a time, however many are refused. */
  refusalReportDue: boolean;
  /**
   * How many requests may wait for the next call (`waitingRoom` of the object's last answer):
   * unbounded before any answer (a busy key's first requests must not each call).
   */
  lastRoom: number;
  /** The TTL of the last lease the object granted here: with the isolate's rate, whether its next grant will be a busy slice. */
  leaseTtlMs: number | undefined;
  /**
   * The object refused the key itself (revoked, expired, disabled): its answer to every request
   * here, with no call, until `until` (the call's send time + the TTL, so a re-enabled key is
   * admitted again within `LEASE_TTL_MS`).
   */
  keyRefusal: { until: number; answer: D } | undefined;
}

/** Outcomes that say the key itself is refused (revoked, disabled, expired…), not a limit. */
const limitOutcomes = new Set<string>(["allowed", "rate_limited", "quota_exceeded"]);

/** Outcomes that decide nothing (the isolate's record is older than the object's: it rereads it and asks again). */
const undecidedOutcomes = new Set<string>(["older_record"]);

/** The answer refuses the key itself, whatever the request: every request of the key gets it for a while. */
const refusesKey = (outcome: string) => !limitOutcomes.has(outcome) && !undecidedOutcomes.has(outcome);

const ignore = () => {};

/**
 * The lease ask of an isolate with no slot for the key yet (a cold key's `resolve`: its id is known
 * only from the answer): no reports, and a rate of one request per TTL, which asks for a slow key's
 * smallest lease (lease-ledger.ts `slowLease`). `adopt` takes the answer.
 */
export function coldKeyAsk(isolateId: string, ttlMs: number): LeaseRequest {
  return { isolateId, closed: [], rate: 1000 / ttlMs, admitted: 0, refused: 0, ttlMs };
}

/**
 * This isolate's leases, one per key and route, and everything done around them: the one call in
 * flight per lease and the requests waiting for it, applying the object's answers, background
 * renewals, `reportWhenOver` and the refusal reports.
 *
 * Driving it: `admit` decides a request through `decided` (the object's decision, or one made here
 * with no call) or `failed` (the object's call failed). The client reads only `clock()` and acts
 * only through the request's `LeaseTransport`. In virtual time, let `clock` read an event queue's
 * time, `transport.call` schedule the object's decision and its answer as later events, and
 * `transport.later` schedule the task at `clock() + delayMs` (leave `resume` out: waiters go on at
 * once); run the queue in time order, and every callback then happens at its virtual moment
 * (bench/leases/virtual-isolates.ts does this for the simulation and the benches;
 * docs/rate-limits.md "One lease client"). `drop(keyId)` ends a key's leases at once (an admin
 * write served here).
 */
export class LeaseClient<D extends LeaseDecision = LeaseDecision> {
  private id: string | undefined;
  private readonly held = new Map<string, HeldLease<D>>();
  private readonly clock: () => number;
  private readonly newId: () => string;
  private readonly maxEntries: number;

  constructor(options: LeaseClientOptions) {
    this.clock = options.clock;
    this.newId = options.isolateId;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  get isolateId(): string {
    this.id ??= this.newId();
    return this.id;
  }

  /**
   * Decides a keyed request with leases: from this isolate's lease when it has units (no I/O, a
   * renewal in the background when about half is gone), else as `LeaseSlot.step` says: refused on
   * the object's recent word, waiting for the one call in flight, or asking the object, which
   * decides exactly and may hand a lease back. Calls `decided` or `failed` exactly once.
   */
  admit(
    request: LeaseAdmission,
    transport: LeaseTransport<D>,
    decided: (decision: D | LocalDecision<D>) => void,
    failed: (error: unknown) => void,
  ): void {
    const held = this.of(request.keyId, request.route, request.version, this.clock());
    held.slot.observe(request.cost);
    this.step(held, request, transport, decided, failed, undefined);
  }

  /** Stops admitting from the key's leases at once: this isolate just served an admin write to it. */
  drop(keyId: string): void {
    const prefix = `${keyId}\n`;
    for (const [name, held] of this.held)
      if (name.startsWith(prefix)) {
        held.slot.drop();
        held.template = undefined;
        held.keyRefusal = undefined;
      }
  }

  /**
   * Takes the answer to a call this client did not send itself: a cold key's `resolve`, sent before
   * the key's id was known (docs/rate-limits.md "One round trip for a cold key"). With `sent` (its
   * `coldKeyAsk`), the key's slot then holds the grant, or the refusal, as if `leaseCall` had asked,
   * and the grant is reported once traffic stops; reports the slot already held wait for its next
   * call. `givenBack`: other requests raced the `resolve`, and may take its lease back at the object
   * (key-records.ts), so it is never used here, only reported closed. Returns the request's
   * decision: as for its own calls, a refusal at the limit is admitted from a lease held
   * here that still has a unit (one another request's answer brought meanwhile).
   */
  adopt(
    request: LeaseAdmission,
    sent: SentAsk | undefined,
    decision: D,
    transport: LeaseTransport<D>,
    givenBack = false,
  ): D | LocalDecision<D> {
    const refusal = refusesKey(decision.outcome);
    // Only a grant, a zero lease or a refusal of the key is held here; any other answer leaves the key as it was.
    if (sent && (decision.lease || decision.refuseForMs !== undefined || refusal)) {
      // The request's own demand went with the ask: the slot's next ask counts what comes from now on, as a new slot's does.
      const held = this.of(request.keyId, request.route, request.version, this.clock());
      // `lastRoom` stays: the smallest lease asked says nothing of how many requests the next call's answer may serve.
      applyAnswer(held, sent, decision, request.ttlMs, request.cost);
      // Retired at once, unused: its report closes it unless a racer did.
      if (givenBack && decision.lease?.units) held.slot.drop();
      if (refusal) this.refuseKey(held, decision, sent.sentAt + request.ttlMs);
      const now = this.clock();
      // Reported once the lease ends (counted from the send): at once if the answer took longer than its TTL.
      const endsIn = decision.lease ? Math.max(0, sent.sentAt + decision.lease.ttlMs - now) : request.ttlMs;
      if (!held.keyRefusal && (held.slot.unused(now) > 0 || held.slot.hasReport(now)))
        this.reportWhenOver(held, request, transport, endsIn);
    }
    const held = this.held.get(`${request.keyId}\n${request.route}`);
    const now = this.clock();
    if (decision.outcome === "rate_limited" && held?.version === request.version && held.slot.take(request.cost, now))
      return localAdmission(held, now);
    return decision;
  }

  /** The key's lease on a route; a new key version (an admin write) ends the old one. */
  private of(keyId: string, route: string, version: number, now: number): HeldLease<D> {
    const name = `${keyId}\n${route}`;
    let held = this.held.get(name);
    if (held && held.version !== version) {
      held.slot.drop();
      held.version = version;
      held.template = undefined;
      held.keyRefusal = undefined;
    }
    if (!held) {
      if (this.held.size >= this.maxEntries) this.held.delete(this.held.keys().next().value as string);
      held = {
        slot: new LeaseSlot(this.isolateId, now),
        version,
        template: undefined,
        inFlight: undefined,
        recent: { since: now, requests: 0 },
        answered: 0,
        refusalReportDue: false,
        lastRoom: Number.POSITIVE_INFINITY,
        leaseTtlMs: undefined,
        keyRefusal: undefined,
      };
      this.held.set(name, held);
    }
    return held;
  }

  /** One step of a request; `waited`: the call in flight it waited for, now answered (or failed). */
  private step(
    held: HeldLease<D>,
    request: LeaseAdmission,
    transport: LeaseTransport<D>,
    decided: (decision: D | LocalDecision<D>) => void,
    failed: (error: unknown) => void,
    waited: Flight<D> | undefined,
  ): void {
    // The object refused the key lately: so is this request, with no call (and so is every request that waited for that answer).
    if (held.keyRefusal) {
      if (this.clock() < held.keyRefusal.until) {
        decided(held.keyRefusal.answer);
        return;
      }
      held.keyRefusal = undefined;
    }
    const step = held.slot.step(request.cost, this.clock(), held.inFlight !== undefined, waited !== undefined);
    // A request that waited for a call is decided by its answer: a unit of the lease it brought, or,
    // when the answer refused the key's limit or was `full`, the same refusal here: never a second trip.
    const refusal = waited && (step.kind === "wait" || step.kind === "call") ? waiterRefusal(waited, request.cost) : undefined;
    if (refusal) {
      held.slot.countRefused();
      if (!held.refusalReportDue) this.reportRefusalsSoon(held, request, transport);
      decided(refusal);
      return;
    }
    if (step.kind === "refused") {
      if (!held.refusalReportDue) this.reportRefusalsSoon(held, request, transport);
      decided(step.answer);
      return;
    }
    if (step.kind === "admitted") {
      if (!held.inFlight && held.slot.wantsRenewal(this.clock())) this.leaseCall(held, request, transport, undefined, ignore, ignore);
      decided(localAdmission(held, this.clock()));
      return;
    }
    // A request waits for the call in flight only where its answer is sure to decide it; else it asks on its own at once.
    const flight = held.inFlight;
    if (step.kind === "wait" && flight && flight.waiting + request.cost <= flight.room) {
      flight.waiting += request.cost;
      const stepAgain = () => this.step(held, request, transport, decided, failed, flight);
      flight.waiters.push(transport.resume ? transport.resume(stepAgain) : stepAgain);
      return;
    }
    const leasable = request.bounded || busyHere(held, this.clock(), request.ttlMs);
    const sentAt = this.clock();
    // A lease that arrived meanwhile may still hold a unit the object could no longer give.
    const settle = (decision: D) => {
      if (refusesKey(decision.outcome)) this.refuseKey(held, decision, sentAt + request.ttlMs);
      decided(
        decision.outcome === "rate_limited" && held.slot.take(request.cost, this.clock()) ? localAdmission(held, this.clock()) : decision,
      );
    };
    if (held.inFlight || !leasable) transport.call({ kind: "check", cost: request.cost }, settle, failed);
    else this.leaseCall(held, request, transport, request.cost, settle, failed);
  }

  /** One call that carries the lease's reports and may bring a lease; `cost` undefined: a background renewal. */
  private leaseCall(
    held: HeldLease<D>,
    request: LeaseAdmission,
    transport: LeaseTransport<D>,
    cost: number | undefined,
    decided: (decision: D) => void,
    failed: (error: unknown) => void,
  ): void {
    const { ttlMs } = request;
    const sent = held.slot.ask(this.clock());
    const { isolateId, closed, rate, using, admitted, refused } = sent;
    // A report with no demand behind it (`reportWhenOver`) brings no lease: nobody waits for it.
    const flight: Flight<D> = {
      waiters: [],
      waiting: 0,
      room: roomFor(sent.rate, held.lastRoom, held.leaseTtlMs ?? ttlMs),
      cost: cost ?? 0,
    };
    // A bounded room is the ask's: its answer holds a unit for each waiter, or refuses them with a `full` grant.
    const waiting = Number.isFinite(flight.room) && flight.room > 0 ? { waiting: flight.room } : {};
    const lease: LeaseRequest = { isolateId, closed, rate, using, admitted, refused, ttlMs, ...waiting };
    held.inFlight = flight;
    const landed = () => {
      if (held.inFlight === flight) held.inFlight = undefined;
    };
    const wake = () => {
      for (const waiter of flight.waiters) waiter();
    };
    transport.call(
      cost === undefined ? { kind: "renew", lease } : { kind: "check", cost, lease },
      (decision) => {
        held.answered++;
        flight.answer = decision;
        applyAnswer(held, sent, decision, ttlMs, cost ?? 1);
        // A report with no demand behind it gets no lease, which says nothing of the next requests.
        if (sent.rate > 0 || decision.lease) held.lastRoom = waitingRoom(decision, held.lastRoom, flight.waiting);
        if (decision.lease) held.leaseTtlMs = decision.lease.ttlMs;
        if (refusesKey(decision.outcome)) this.refuseKey(held, decision, sent.sentAt + ttlMs);
        // This answer's report stands in for every earlier one: whatever is left to report (a new
        // lease, or one still in use after an answer that brought none) goes out once traffic stops.
        const now = this.clock();
        // A refused key's object takes no reports: none is sent for it.
        if (!held.keyRefusal && (held.slot.unused(now) > 0 || held.slot.hasReport(now)))
          this.reportWhenOver(held, request, transport, decision.lease?.ttlMs ?? ttlMs);
        landed();
        decided(decision);
        wake();
      },
      (error) => {
        held.slot.unsent(sent);
        landed();
        failed(error);
        wake();
      },
    );
  }

  /** Remembers the object's refusal of the key until `until` (never past the call's send time + TTL): requests here are refused with no call. */
  private refuseKey(held: HeldLease<D>, answer: D, until: number): void {
    held.slot.drop();
    held.template = undefined;
    held.lastRoom = Number.POSITIVE_INFINITY;
    if (!held.keyRefusal || held.keyRefusal.until < until) held.keyRefusal = { until, answer };
  }

  /**
   * In the background, once the lease has run out: report it if no later call did, so its unused
   * units and usage reach the object when traffic stops. Under steady traffic renewals carry the
   * reports; a report per grant would itself be answered with a grant, and so on.
   */
  private reportWhenOver(held: HeldLease<D>, request: LeaseAdmission, transport: LeaseTransport<D>, ttlMs: number): void {
    const answered = held.answered;
    transport.later(ttlMs + 10, () => {
      if (held.inFlight || held.answered !== answered || !held.slot.hasReport(this.clock())) return;
      this.leaseCall(held, request, transport, undefined, ignore, ignore);
    });
  }

  /**
   * In the background, one TTL after a request was refused here (a zero or `full` lease): report the
   * refusals if no call did meanwhile, so the key's usage shows them within seconds even when the key
   * falls silent; otherwise only its next request would carry them (docs/rate-limits.md).
   */
  private reportRefusalsSoon(held: HeldLease<D>, request: LeaseAdmission, transport: LeaseTransport<D>): void {
    held.refusalReportDue = true;
    const answered = held.answered;
    transport.later(request.ttlMs + 10, () => {
      held.refusalReportDue = false;
      // Under steady traffic the next call, once the refusal ends, has carried them already.
      if (held.inFlight || held.answered !== answered || !held.slot.hasReport(this.clock())) return;
      this.leaseCall(held, request, transport, undefined, ignore, ignore);
    });
  }
}

/** An admission from the lease, with no I/O: the headers promise no more than its unused units. */
function localAdmission<D extends LeaseDecision>(held: HeldLease<D>, now: number): LocalDecision<D> {
  const template = held.template;
  const unused = held.slot.unused(now);
  if (!template) return { outcome: "allowed", policies: [], nearest: -1 };
  return {
    outcome: "allowed",
    policies: template.policies.map((p) => ({ ...p, remaining: Math.min(p.remaining, unused) })),
    nearest: template.nearest,
    ...(template.quota && { quota: { ...template.quota, remaining: Math.min(template.quota.remaining, unused) } }),
  };
}

/** The refusal a `full` lease gives what it cannot hold: the key is at its limit, its next slice is on the way. */
function atLimit<D extends LeaseDecision>(decision: D): LocalDecision<D> {
  const policies = decision.policies.map((p, i) => (i === decision.nearest ? { ...p, remaining: 0, reset: Math.max(1, p.reset) } : p));
  return { outcome: "rate_limited", policies, nearest: decision.nearest, retryAfter: 1 };
}

function applyAnswer<D extends LeaseDecision>(held: HeldLease<D>, sent: SentAsk, decision: D, ttlMs: number, cost: number): void {
  if (decision.lease) {
    held.slot.grant(sent, decision.lease, atLimit(decision));
    if (decision.lease.units > 0) held.template = decision;
  } else if (!limitOutcomes.has(decision.outcome)) {
    held.slot.drop();
    held.template = undefined;
  } else if (decision.outcome === "rate_limited" && decision.refuseForMs !== undefined) {
    held.slot.refuse(sent, decision, decision.refuseForMs, ttlMs, cost);
  } else if (decision.outcome === "allowed" && sent.rate > 0) {
    held.slot.unleased();
  }
}

/**
 * The refusal a request that waited for `flight` gets when the lease it brought holds no unit for
 * it: the answer's own, when the object refused a limit to a request of at most this cost, or
 * `atLimit` when it granted a `full` slice (nothing left free). Undefined when the answer decided
 * nothing for it (it failed, leased nothing at a slow key, or granted a slice smaller than its
 * waiters with budget left): the request then asks on its own (docs/rate-limits.md "Round trips per request").
 */
function waiterRefusal<D extends LeaseDecision>(flight: Flight<D>, cost: number): LocalDecision<D> | undefined {
  const answer = flight.answer;
  if (!answer) return undefined;
  if (answer.lease?.full) return atLimit(answer);
  if (answer.outcome !== "rate_limited" || flight.cost === 0 || cost < flight.cost) return undefined;
  return {
    outcome: "rate_limited",
    policies: answer.policies,
    nearest: answer.nearest,
    ...(answer.retryAfter !== undefined && { retryAfter: answer.retryAfter }),
    ...(answer.quota && { quota: answer.quota }),
  };
}

/**
 * Units of requests that may wait for the call after `answer` (`last`: the room before it; `waited`:
 * the units that waited for this one). After a slow lease, what its `waiters` allow (far from the
 * limit) or, in a burst, as many as waited for it (at most its units): the next ask names them and
 * its grant holds or refuses each. None after no lease (a slow key near its limit decides per
 * request). A refusal changes nothing. Unbounded after a busy key's slice: its next answer is a
 * slice sized from the rate, or `full`, or a refusal, and decides its waiters (`waiterRefusal`),
 * keeping its object's calls near one per slice (docs/rate-limits.md "Round trips per request").
 */
function waitingRoom(answer: LeaseDecision, last: number, waited: number): number {
  if (answer.lease?.slow) return Math.max(answer.lease.waiters ?? 0, Math.min(answer.lease.units, waited));
  if (!answer.lease && answer.outcome === "allowed") return 0;
  if (answer.outcome !== "allowed") return last;
  return Number.POSITIVE_INFINITY;
}

/**
 * Whether a key with no limit and no quota is busy enough here to lease: its lease is a slice of
 * nothing, so it saves calls only past `minUnits` requests per TTL; below that, a lease and the
 * report that follows it would cost two calls where one per request does.
 */
function busyHere(held: HeldLease<LeaseDecision>, now: number, ttlMs: number): boolean {
  if (now - held.recent.since > ttlMs) held.recent = { since: now, requests: 0 };
  held.recent.requests++;
  return held.recent.requests >= defaultLeasePolicy.minUnits;
}

/**
 * Units of requests that may wait for a call sent at `rate`: none for a report with no demand
 * behind it; `last` (`waitingRoom`), except none when that is unbounded while the rate asks for
 * less than a busy slice over `ttlMs` (a busy key gone quiet: the object may answer with a slow
 * lease or none, which unbounded waiters would outnumber; naming them in the ask instead, to be
 * held or refused, cost the "demand near the limit" property 99.36% < 99.5%).
 */
function roomFor(rate: number, last: number, ttlMs: number): number {
  if (!(rate > 0)) return 0;
  const busy = Math.ceil((rate * ttlMs) / 1000) >= defaultLeasePolicy.minUnits;
  return busy || Number.isFinite(last) ? last : 0;
}
