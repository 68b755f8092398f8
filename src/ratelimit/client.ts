// The client of the rate-limiting objects (KeyLimiter, ClientIpCounter): every call to them,
// worker to object or object to object, goes through DurableLimiterClient with its timeout.
import type { Context } from "hono";
import type { Env, GatewayEnv } from "../env";
import type { IdentityStatus, KeyStatus } from "../keys/record";
import { boundedCall } from "../objects/bounded-call";
import { type ClientIpCounterName, decidingObjectName, identityObjectName, keyObjectName, locatorObjectName } from "../objects/names";
import type { UsageBucket } from "../usage/hourly";
import type { Reservation } from "./client-ip-counter";
import type { CheckInput, CountInput, InspectInput, KeyInspection, LimitDecision, LimitRequest, PolicyState, RenewInput } from "./decision";
import type { HandedRecords, ResolveAnswer, ResolveInput } from "./key-records";

/**
 * Every call to a key, identity or client IP object goes through here, bounded by
 * `LIMITER_TIMEOUT_MS` (objects/bounded-call.ts, which maps any failure to `503
 * limiter_unavailable`); names come from objects/names.ts. One interface per capability, so a
 * caller depends on what it uses.
 */

/** Deciding a request on its key's object, and reading the key's state without spending any. */
export interface KeyAdmission {
  check(keyId: string, input: CheckInput): Promise<LimitDecision>;
  /** Reports an isolate's leases and asks for the next one, deciding no request. */
  renew(keyId: string, input: RenewInput): Promise<LimitDecision>;
  inspect(keyId: string, input: InspectInput): Promise<KeyInspection>;
  /** A cold isolate's one call for a key whose body names its object: the record with the decision. */
  resolve(input: ResolveInput): Promise<ResolveAnswer>;
}

/** What admin calls ask of a key's object, or of its identity's. */
export interface KeyAdministration {
  /**
   * Tells the object deciding for the key its new status (newer versions win there); retrying is safe.
   * `identityId`: the key's identity, whose object decides for it.
   */
  updateStatus(keyId: string, status: KeyStatus, identityId: string | null): Promise<void>;
  /** Tells an identity's object the identity's new status (newer versions win there); retrying is safe. */
  updateIdentity(status: IdentityStatus): Promise<void>;
  /** Hands secrets' D1 rows to the object `handed.locator` names, which keeps them as its `resolve` would; retrying is safe. */
  keepRecords(handed: HandedRecords): Promise<void>;
  /** Hourly outcome counts in [from, to) (epoch ms), counted by the key's object or, for `identityId`, by that identity's. */
  usageBetween(keyId: string, from: number, to: number, identityId?: string): Promise<UsageBucket[]>;
  /** Hourly outcome counts of all an identity's keys in [from, to) (epoch ms). */
  identityUsageBetween(identityId: string, from: number, to: number): Promise<UsageBucket[]>;
  /** Tells an identity's object the identity was deleted (at `deletedAt`, epoch ms): it retires (retirement.ts). */
  identityDeleted(identityId: string, deletedAt: number): Promise<void>;
}

/** Cleaning the KEY_LIMITER objects that counted a client IP in earlier versions (retirement.ts). */
export interface LegacyObjects {
  /** Deletes the storage of the KEY_LIMITER object named like this counter, if it has any. */
  retireLegacy(name: ClientIpCounterName): Promise<void>;
}

/** Sliding-window counters per client IP. */
export interface ClientIpCounters {
  count(name: ClientIpCounterName, input: CountInput): Promise<LimitDecision>;
  peek(name: ClientIpCounterName, limits: LimitRequest[]): Promise<PolicyState[]>;
  /** Reserves a unit for an attempt before it is judged; `settle` counts it (failed) or gives it back. */
  reserve(name: ClientIpCounterName, limit: LimitRequest): Promise<Reservation>;
  settle(name: ClientIpCounterName, limit: LimitRequest, failed: boolean): Promise<void>;
}

export type LimiterClient = KeyAdmission & KeyAdministration & ClientIpCounters & LegacyObjects;

/** The Durable Object namespaces behind the client. */
export type LimiterBindings = Pick<Env, "KEY_LIMITER" | "CLIENT_IP_COUNTER">;

/** Reaches the objects through their bindings; every failure becomes a `limiter_unavailable` GatewayError. */
export class DurableLimiterClient implements LimiterClient {
  constructor(
    private readonly env: LimiterBindings,
    private readonly timeoutMs: number,
  ) {}

  check(keyId: string, input: CheckInput): Promise<LimitDecision> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(decidingObjectName(keyId, input.key)).check(input),
      "The rate limiter could not be reached.",
    );
  }

  renew(keyId: string, input: RenewInput): Promise<LimitDecision> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(decidingObjectName(keyId, input.key)).renew(input),
      "The rate limiter could not be reached.",
    );
  }

  inspect(keyId: string, input: InspectInput): Promise<KeyInspection> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(decidingObjectName(keyId, input.key)).inspect(input),
      "The key's Durable Object could not be reached.",
    );
  }

  resolve(input: ResolveInput): Promise<ResolveAnswer> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(locatorObjectName(input.locator)).resolve(input) as Promise<ResolveAnswer>,
      "The key's Durable Object could not be reached.",
    );
  }

  updateStatus(keyId: string, status: KeyStatus, identityId: string | null): Promise<void> {
    return this.call(
      () =>
        identityId === null
          ? this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).updateStatus(status)
          : this.env.KEY_LIMITER.getByName(identityObjectName(identityId)).updateMemberStatus(keyId, status),
      "The change is stored but not yet enforced everywhere; retry the call.",
    );
  }

  updateIdentity(status: IdentityStatus): Promise<void> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(identityObjectName(status.id)).updateIdentity(status),
      "The change is stored but not yet enforced everywhere; retry the call.",
    );
  }

  keepRecords(handed: HandedRecords): Promise<void> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(locatorObjectName(handed.locator)).keepRecords(handed),
      "The key's Durable Object could not be reached.",
    );
  }

  usageBetween(keyId: string, from: number, to: number, identityId?: string): Promise<UsageBucket[]> {
    return this.call(
      () =>
        identityId === undefined
          ? this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).usageBetween(from, to)
          : this.env.KEY_LIMITER.getByName(identityObjectName(identityId)).usageBetween(from, to, keyId),
      "The key's usage could not be read; retry the call.",
    );
  }

  identityUsageBetween(identityId: string, from: number, to: number): Promise<UsageBucket[]> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(identityObjectName(identityId)).usageBetween(from, to),
      "The identity's usage could not be read; retry the call.",
    );
  }

  identityDeleted(identityId: string, deletedAt: number): Promise<void> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(identityObjectName(identityId)).identityDeleted(deletedAt),
      "The identity is deleted but its object was not told; it keeps its storage.",
    );
  }

  retireLegacy(name: ClientIpCounterName): Promise<void> {
    return this.call(() => this.env.KEY_LIMITER.getByName(name).retireLegacy(), "The legacy object could not be reached.");
  }

  count(name: ClientIpCounterName, input: CountInput): Promise<LimitDecision> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).check(input), "The rate limiter could not be reached.");
  }

  peek(name: ClientIpCounterName, limits: LimitRequest[]): Promise<PolicyState[]> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).peek(limits), "The rate limiter could not be reached.");
  }

  reserve(name: ClientIpCounterName, limit: LimitRequest): Promise<Reservation> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).reserve(limit), "The rate limiter could not be reached.");
  }

  settle(name: ClientIpCounterName, limit: LimitRequest, failed: boolean): Promise<void> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).settle(limit, failed), "The rate limiter could not be reached.");
  }

  private call<T>(rpc: () => Promise<T>, detail: string): Promise<T> {
    return boundedCall(rpc, this.timeoutMs, detail);
  }
}

/** The request's client, bounded by the gateway's `LIMITER_TIMEOUT_MS`. */
export const limiterClient = <E extends GatewayEnv>(c: Context<E>): LimiterClient =>
  new DurableLimiterClient(c.env, c.get("config").limiterTimeoutMs);
