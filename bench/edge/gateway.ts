/**
 * The gateway's request path in the edge model, `gateway-before` and `gateway`, on the real code:
 * the isolate key cache (src/keys/record-cache.ts, KeyCache's logic), the isolate's lease client
 * (src/ratelimit/lease-client.ts, one per isolate, on the model's clock, its object calls and
 * background work made here) and the key's object (key-object.ts). `gateway-before`: a key cache
 * miss reads D1 (one trip), then the lease client decides (from a lease, or an object call).
 * `gateway`: for a key of the gateway's own format, a miss makes one `resolve` call to the object
 * the key names, which answers with the record, the decision and a lease (docs/rate-limits.md "One
 * round trip for a cold key"); imported keys keep the D1 lookup first. In both, an isolate's first
 * forwarded requests read the import prefixes from D1 before the upstream call (src/proxy/forward.ts).
 */
import { coldKeyAsk, type LeaseAdmission, LeaseClient, type LeaseDecision, type LeaseTransport } from "../../src/ratelimit/lease-client.ts";
import { KeyObject, type ObjectAnswer } from "./key-object.ts";
import { type EdgeRecord, recordAt, recordCache, refusedByRecord } from "./records.ts";
import { type EdgeRequest, type EdgeRun, made } from "./run.ts";

/** The object's answer as the lease client reads it, and when the object decided. */
interface EdgeDecision extends LeaseDecision {
  decidedAt: number;
}

interface Isolate {
  cache: ReturnType<typeof recordCache>;
  client: LeaseClient<EdgeDecision>;
  /** Per key: lease calls answered so far (those requests wait for); what a request saw land while it waited is what it waited for. */
  landed: Map<number, number>;
  /** It takes no new requests from then on, and its background work stops (its leases are never reported). */
  end: number;
  /** The registered import prefixes are read (src/keys/import-prefixes.ts): until then every request it forwards reads them from D1 first. */
  prefixesLoaded: boolean;
  /** `gateway`: its first read of them is under way in the background. */
  prefixesLoading: boolean;
  /** `gateway`: keys whose `resolve` with a lease ask is in flight: its id, and how many raced it. */
  asking: Map<number, { id: string; raced: boolean }>;
  /** Lease-asking `resolve`s sent: names the next. */
  asks: number;
}

const asDecision = (answer: ObjectAnswer): EdgeDecision => ({
  outcome: answer.outcome,
  policies: [],
  nearest: -1,
  decidedAt: answer.decidedAt,
  ...(answer.grant && { lease: answer.grant }),
  ...(answer.refuseForMs !== undefined && { refuseForMs: answer.refuseForMs }),
});

export function runGateway(run: EdgeRun, oneTrip: boolean): void {
  const { world, options, events } = run;
  const ttlMs = options.leaseTtlMs;
  const objects = new Map<number, KeyObject>();
  const objectOf = (key: number) => made(objects, key, () => new KeyObject(world.keys[key]!, ttlMs, !options.coldObjects));
  const isolates = new Map<number, Isolate>();
  const isolateOf = (id: number) =>
    made(isolates, id, () => ({
      cache: recordCache(options.keyCacheEntries, options.keyCacheTtlMs),
      client: new LeaseClient<EdgeDecision>({ clock: () => events.now, isolateId: () => `isolate-${id}` }),
      landed: new Map(),
      prefixesLoaded: false,
      prefixesLoading: false,
      asking: new Map(),
      asks: 0,
      end: world.isolates[id]!.end,
    }));

  const landed = (isolate: Isolate, key: number) => isolate.landed.get(key) ?? 0;

  /** `prefixesToRemove`: an isolate's first requests read the import prefixes from D1 (each its own read) before going on. */
  const withPrefixes = (isolate: Isolate, request: EdgeRequest, then: () => void) => {
    if (isolate.prefixesLoaded) return then();
    const readPrefixes = (loaded: () => void) =>
      run.trip(
        events.now,
        options.d1RttMs,
        () => undefined,
        () => {
          isolate.prefixesLoaded = true;
          loaded();
        },
      );
    // `gateway`: a request with no value that could be an imported key forwards at once; the isolate reads them in the background.
    if (oneTrip && !world.keys[request.key]!.imported) {
      if (!isolate.prefixesLoading) {
        isolate.prefixesLoading = true;
        readPrefixes(() => undefined);
      }
      return then();
    }
    request.trips++;
    readPrefixes(then);
  };

  /** The verdict is in: an admitted request is forwarded (once the isolate knows the import prefixes), a refused one answered. */
  const conclude = (isolate: Isolate, request: EdgeRequest, admitted: boolean, decidedAt = events.now) => {
    if (!admitted) return run.finish(request, events.now, false);
    withPrefixes(isolate, request, () => run.finish(request, events.now, true, decidedAt));
  };

  /**
   * What the lease client may do for one request: call the key's object (a `check` is this
   * request's own call, after waiting for the lease calls that landed since it arrived; a renewal is
   * background work nobody waits for) and schedule background work while the isolate lives.
   */
  const transport = (isolate: Isolate, request: EdgeRequest, waitedFrom: number): LeaseTransport<EdgeDecision> => ({
    call(call, answered) {
      if (call.kind === "check") request.trips += 1 + landed(isolate, request.key) - waitedFrom;
      const leasing = call.kind === "renew" || call.lease !== undefined;
      const object = objectOf(request.key);
      run.trip(
        events.now,
        options.objectRttMs,
        (at) => asDecision(object.call(at, call.kind === "check" ? call.cost : 0, call.lease)),
        (_, decision) => {
          if (leasing) isolate.landed.set(request.key, landed(isolate, request.key) + 1);
          answered(decision);
        },
      );
    },
    later(delayMs, task) {
      events.schedule(events.now + delayMs, () => {
        if (events.now < isolate.end) task();
      });
    },
  });

  /** The lease client decides a request whose record is cached and valid. */
  const admit = (isolate: Isolate, request: EdgeRequest, record: EdgeRecord) => {
    const waitedFrom = landed(isolate, request.key);
    const before = request.trips;
    const admission: LeaseAdmission = { keyId: record.id, route: "/", version: record.version, cost: 1, bounded: true, ttlMs };
    isolate.client.admit(
      admission,
      transport(isolate, request, waitedFrom),
      (decision) => {
        // Decided with no call of its own: from a lease, or refused, maybe after waiting for lease calls to land.
        if (request.trips === before) request.trips += landed(isolate, request.key) - waitedFrom;
        const decidedAt = "decidedAt" in decision ? (decision as EdgeDecision).decidedAt : events.now;
        conclude(isolate, request, decision.outcome === "allowed", decidedAt);
      },
      () => conclude(isolate, request, false),
    );
  };

  /** `keyVerdict` with a record: a revoked one is refused here, with no call. */
  const judge = (isolate: Isolate, request: EdgeRequest, record: EdgeRecord) => {
    if (refusedByRecord(record, events.now)) conclude(isolate, request, false);
    else admit(isolate, request, record);
  };

  /**
   * `resolve`: a `gateway` isolate with no record of an own-format key calls the object the key's
   * body names, once, with a lease ask (`coldKeyAsk`; one such call per key in flight, whose id its
   * racers carry); the object (reading D1 itself when it does not hold the newest record) decides
   * like a lease-asking `check` (a racer's call first closes the lease its ask brought, as
   * src/ratelimit/cold-asks.ts) and answers with the record, which the isolate caches, and the
   * grant, which its lease client adopts (`LeaseClient.adopt`; given back when the ask had racers).
   */
  const resolve = (isolate: Isolate, request: EdgeRequest) => {
    const key = world.keys[request.key]!;
    const object = objectOf(request.key);
    const sentAt = events.now;
    // One lease-asking `resolve` per key in flight in an isolate (src/ratelimit/isolate-leases.ts `coldLeaseAsk`).
    const inFlight = isolate.asking.get(request.key);
    const ask = inFlight ? undefined : coldKeyAsk(isolate.client.isolateId, ttlMs);
    const own = inFlight ?? { id: `${isolate.client.isolateId}/${++isolate.asks}`, raced: false };
    if (inFlight) inFlight.raced = true;
    else isolate.asking.set(request.key, own);
    request.trips++;
    run.tripWithin(
      events.now,
      options.objectRttMs,
      (at) => (object.readsD1(at) ? run.draw(options.objectD1RttMs) : 0),
      (at) => ({ answer: object.resolve(at, own.id, ask), record: recordAt(key, at) }),
      (back, { answer, record }) => {
        isolate.cache.set(key.hash, record, back);
        if (ask && isolate.asking.get(request.key) === own) isolate.asking.delete(request.key);
        const admission: LeaseAdmission = { keyId: record.id, route: "/", version: record.version, cost: 1, bounded: true, ttlMs };
        const sent = ask && { ...ask, sentAt };
        const decided = (decision: EdgeDecision | LeaseDecision) => {
          const decidedAt = "decidedAt" in decision ? (decision as EdgeDecision).decidedAt : events.now;
          conclude(isolate, request, decision.outcome === "allowed", decidedAt);
        };
        const waitedFrom = landed(isolate, request.key);
        decided(isolate.client.adopt(admission, sent, asDecision(answer), transport(isolate, request, waitedFrom), own.raced));
      },
    );
  };

  run.drive((request) => {
    const now = events.now;
    const isolate = isolateOf(request.isolate);
    const key = world.keys[request.key]!;
    const cached = isolate.cache.get(key.hash, now)?.record;
    if (cached) return judge(isolate, request, cached);
    if (oneTrip && !key.imported) return resolve(isolate, request);
    // `verifyKey`: the D1 lookup by the secret's hash, then the record is cached (an imported key's
    // shape is checked against the import prefixes first).
    const lookup = () => {
      request.trips++;
      run.trip(
        events.now,
        options.d1RttMs,
        (at) => recordAt(key, at),
        (back, record) => {
          isolate.cache.set(key.hash, record, back);
          judge(isolate, request, record);
        },
      );
    };
    if (key.imported) withPrefixes(isolate, request, lookup);
    else lookup();
  });
}
