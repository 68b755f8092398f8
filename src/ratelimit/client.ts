import type { Context } from "hono";
import type { Env, GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import type { KeyStatus } from "../keys/record";
import type { UsageBucket } from "../usage/hourly";
import type { CheckInput, CountInput, InspectInput, KeyInspection, LimitDecision, LimitRequest, PolicyState, RenewInput } from "./decision";

/**
 * Every Durable Object call the gateway makes goes through here: object names, stub lookup,
 * the `LIMITER_TIMEOUT_MS` bound and the mapping of any failure (unreachable, reset, too slow)
 * to `503 limiter_unavailable` live in this file only. One interface per capability, so a
 * caller depends on what it uses.
 */

/** The key's object: its status, windows, quota, usage and last use. */
export const keyObjectName = (keyId: string) => `key:${keyId}`;

declare const counterName: unique symbol;
/** The name of a `ClientIpCounter`: only the two functions below make one. */
export type ClientIpCounterName = string & { readonly [counterName]: true };

/** Anonymous requests on limited routes, counted per client IP. */
export const anonymousTrafficCounter = (ip: string) => `ip:${ip}` as ClientIpCounterName;
/** Failed admin logins, counted per client IP. */
export const adminLoginCounter = (ip: string) => `admin-ip:${ip}` as ClientIpCounterName;

/** Deciding a request on its key's object, and reading the key's state without spending any. */
export interface KeyAdmission {
  check(keyId: string, input: CheckInput): Promise<LimitDecision>;
  /** Reports an isolate's leases and asks for the next one, deciding no request. */
  renew(keyId: string, input: RenewInput): Promise<LimitDecision>;
  inspect(keyId: string, input: InspectInput): Promise<KeyInspection>;
}

/** What admin calls ask of a key's object. */
export interface KeyAdministration {
  /** Tells the object the key's new status (newer versions win there); retrying is safe. */
  updateStatus(keyId: string, status: KeyStatus): Promise<void>;
  /** Hourly outcome counts in [from, to) (epoch ms). */
  usageBetween(keyId: string, from: number, to: number): Promise<UsageBucket[]>;
}

/** Sliding-window counters per client IP. */
export interface ClientIpCounters {
  count(name: ClientIpCounterName, input: CountInput): Promise<LimitDecision>;
  peek(name: ClientIpCounterName, limits: LimitRequest[]): Promise<PolicyState[]>;
}

export type LimiterClient = KeyAdmission & KeyAdministration & ClientIpCounters;

class LimiterTimeout extends Error {}

/** The Durable Object namespaces behind the client. */
export type LimiterBindings = Pick<Env, "KEY_LIMITER" | "CLIENT_IP_COUNTER">;

/** Reaches the objects through their bindings; every failure becomes a `limiter_unavailable` GatewayError. */
export class DurableLimiterClient implements LimiterClient {
  constructor(
    private readonly env: LimiterBindings,
    private readonly timeoutMs: number,
  ) {}

  check(keyId: string, input: CheckInput): Promise<LimitDecision> {
    return this.call(() => this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).check(input), "The rate limiter could not be reached.");
  }

  renew(keyId: string, input: RenewInput): Promise<LimitDecision> {
    return this.call(() => this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).renew(input), "The rate limiter could not be reached.");
  }

  inspect(keyId: string, input: InspectInput): Promise<KeyInspection> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).inspect(input),
      "The key's Durable Object could not be reached.",
    );
  }

  updateStatus(keyId: string, status: KeyStatus): Promise<void> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).updateStatus(status),
      "The change is stored but not yet enforced everywhere; retry the call.",
    );
  }

  usageBetween(keyId: string, from: number, to: number): Promise<UsageBucket[]> {
    return this.call(
      () => this.env.KEY_LIMITER.getByName(keyObjectName(keyId)).usageBetween(from, to),
      "The key's usage could not be read; retry the call.",
    );
  }

  count(name: ClientIpCounterName, input: CountInput): Promise<LimitDecision> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).check(input), "The rate limiter could not be reached.");
  }

  peek(name: ClientIpCounterName, limits: LimitRequest[]): Promise<PolicyState[]> {
    return this.call(() => this.env.CLIENT_IP_COUNTER.getByName(name).peek(limits), "The rate limiter could not be reached.");
  }

  /** A slow object is treated like an unreachable one; the cause is kept for logs, never shown. */
  private async call<T>(rpc: () => Promise<T>, detail: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LimiterTimeout(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([rpc(), timeout]);
    } catch (error) {
      throw new GatewayError("limiter_unavailable", detail, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The request's client, bounded by the gateway's `LIMITER_TIMEOUT_MS`. */
export const limiterClient = <E extends GatewayEnv>(c: Context<E>): LimiterClient =>
  new DurableLimiterClient(c.env, c.get("config").limiterTimeoutMs);
