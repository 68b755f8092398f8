/**
 * The gateway's request path in the edge model, `gateway-before` and `gateway`, on the real pure
 * code: the isolate key cache (src/keys/record-cache.ts, KeyCache's logic), the isolate's lease slot per key
 * (src/ratelimit/lease-holder.ts, stepped as `admitWithLease` in isolate-leases.ts steps it) and the
 * key's object (key-object.ts). `gateway-before`: a key cache miss reads D1 (one trip), then the
 * object decides (another). `gateway`: for a key of the gateway's own format, a miss makes the one
 * object call that answers with the record and the lease; imported keys keep the D1 lookup first.
 */
import { LeaseSlot, type SentAsk } from "../../src/ratelimit/lease-holder.ts";
import { KeyObject, type ObjectAnswer } from "./key-object.ts";
import { type EdgeRecord, recordAt, recordCache, refusedByRecord } from "./records.ts";
import { type EdgeRequest, type EdgeRun, made } from "./run.ts";

/** An isolate's hold on one key: its lease slot, its one lease call in flight, the requests waiting for that. */
interface Holder {
  slot: LeaseSlot<true>;
  inFlight: boolean;
  waiting: EdgeRequest[];
  /** Calls answered: a background report stands down once a later answer carried the reports. */
  answered: number;
}

interface Isolate {
  cache: ReturnType<typeof recordCache>;
  holders: Map<number, Holder>;
  end: number;
}

export function runGateway(run: EdgeRun, oneTrip: boolean): void {
  const { world, options } = run;
  const ttlMs = options.leaseTtlMs;
  const objects = new Map<number, KeyObject>();
  const objectOf = (key: number) => made(objects, key, () => new KeyObject(world.keys[key]!, ttlMs));
  const isolates = new Map<number, Isolate>();
  const isolateOf = (id: number) =>
    made(isolates, id, () => ({
      cache: recordCache(options.keyCacheEntries, options.keyCacheTtlMs),
      holders: new Map(),
      end: world.isolates[id]!.end,
    }));
  const holderOf = (isolate: Isolate, key: number, id: number, now: number) =>
    made(isolate.holders, key, () => ({ slot: new LeaseSlot<true>(`isolate-${id}`, now), inFlight: false, waiting: [], answered: 0 }));

  /** `applyAnswer` in isolate-leases.ts. */
  const apply = (holder: Holder, sent: SentAsk, answer: ObjectAnswer) => {
    if (answer.grant) holder.slot.grant(sent, answer.grant, true);
    else if (answer.outcome === "revoked_key") holder.slot.drop();
    else if (answer.outcome === "rate_limited" && answer.refuseForMs !== undefined)
      holder.slot.refuse(sent, true, answer.refuseForMs, ttlMs, 1);
    else if (answer.outcome === "allowed") holder.slot.unleased();
  };

  /** One call that carries the lease's reports and may bring a lease (and, cold, the record); no request: a renewal or report. */
  const leaseCall = (isolate: Isolate, holder: Holder, key: number, now: number, request: EdgeRequest | undefined) => {
    const sent = holder.slot.ask(now);
    holder.inFlight = true;
    if (request) request.trips++;
    run.trip(
      now,
      options.objectRttMs,
      (at) => objectOf(key).call(at, request ? 1 : 0, sent),
      (back, answer) => {
        holder.inFlight = false;
        holder.answered++;
        apply(holder, sent, answer);
        if (holder.slot.unused(back) > 0 || holder.slot.hasReport(back))
          reportWhenOver(isolate, holder, key, back, answer.grant?.ttlMs ?? ttlMs);
        if (request) decided(holder, request, back, answer);
        const waiting = holder.waiting;
        holder.waiting = [];
        for (const waiter of waiting) {
          waiter.trips++;
          admit(isolate, waiter, back, true);
        }
      },
    );
  };

  /** The request's own call while the lease call is in flight: decided exactly, no lease. */
  const plainCall = (holder: Holder, request: EdgeRequest, now: number) => {
    request.trips++;
    run.trip(
      now,
      options.objectRttMs,
      (at) => objectOf(request.key).call(at, 1, undefined),
      (back, answer) => decided(holder, request, back, answer),
    );
  };

  const decided = (holder: Holder, request: EdgeRequest, back: number, answer: ObjectAnswer) => {
    if (answer.outcome === "allowed") run.finish(request, back, true, answer.decidedAt);
    // A lease that arrived meanwhile may still hold a unit the object could no longer give.
    else run.finish(request, back, answer.outcome === "rate_limited" && holder.slot.take(1, back));
  };

  /** `reportWhenOver`: once the lease has run out, report it if no later call did, while the isolate lives. */
  const reportWhenOver = (isolate: Isolate, holder: Holder, key: number, now: number, leaseTtlMs: number) => {
    const answered = holder.answered;
    run.events.schedule(now + leaseTtlMs + 10, () => {
      const at = run.events.now;
      if (at >= isolate.end || holder.inFlight || holder.answered !== answered || !holder.slot.hasReport(at)) return;
      leaseCall(isolate, holder, key, at, undefined);
    });
  };

  /** `admitWithLease`: from the lease, refused on the object's word, waiting for the call in flight, or calling. */
  const admit = (isolate: Isolate, request: EdgeRequest, now: number, waited: boolean) => {
    const record = isolate.cache.get(world.keys[request.key]!.hash, now)?.record;
    if (record && refusedByRecord(record, now)) return run.finish(request, now, false);
    const holder = holderOf(isolate, request.key, request.isolate, now);
    if (!waited) holder.slot.observe(1);
    const step = holder.slot.step(1, now, holder.inFlight, waited);
    if (step.kind === "admitted") {
      run.finish(request, now, true);
      if (!holder.inFlight && holder.slot.wantsRenewal(now)) leaseCall(isolate, holder, request.key, now, undefined);
    } else if (step.kind === "refused") run.finish(request, now, false);
    else if (step.kind === "wait") holder.waiting.push(request);
    else if (holder.inFlight) plainCall(holder, request, now);
    else leaseCall(isolate, holder, request.key, now, request);
  };

  /**
   * `resolve`: a `gateway` isolate with no record of an own-format key calls the object the key's
   * body names, once; the object (reading D1 itself when it does not hold the newest record) decides
   * like `check`, asking no lease, and answers with the record, which the isolate caches.
   */
  const resolve = (isolate: Isolate, request: EdgeRequest, now: number) => {
    const key = world.keys[request.key]!;
    const object = objectOf(request.key);
    request.trips++;
    run.tripWithin(
      now,
      options.objectRttMs,
      (at) => (object.readsD1(at) ? run.draw(options.objectD1RttMs) : 0),
      (at) => ({ answer: object.call(at, 1, undefined), record: recordAt(key, at) }),
      (back, { answer, record }) => {
        isolate.cache.set(key.hash, record, back);
        run.finish(request, back, answer.outcome === "allowed", answer.decidedAt);
      },
    );
  };

  run.drive((request) => {
    const now = request.arrivedAt;
    const isolate = isolateOf(request.isolate);
    const key = world.keys[request.key]!;
    if (isolate.cache.get(key.hash, now)) return admit(isolate, request, now, false);
    if (oneTrip && !key.imported) return resolve(isolate, request, now);
    // `verifyKey`: the D1 lookup by the secret's hash, then the record is cached.
    request.trips++;
    run.trip(
      now,
      options.d1RttMs,
      (at): EdgeRecord => recordAt(key, at),
      (back, record) => {
        isolate.cache.set(key.hash, record, back);
        admit(isolate, request, back, false);
      },
    );
  });
}
