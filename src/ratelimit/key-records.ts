/**
 * The deciding object's side of one round trip for a cold key (docs/rate-limits.md "One round trip
 * for a cold key"): the records of the keys it decides for, by secret hash, in its own SQLite,
 * handed over by the admin write that made the secret or changed the key (`keepRecords`), else
 * read from D1 by the object itself when it lacks one or knows a newer version; and `resolveKey`,
 * which judges a presented secret and decides its request in the same call, granting the lease the
 * isolate asked for as `check` does (and taking it back when a racer of that ask comes, cold-asks.ts).
 */
import { eq, sql } from "drizzle-orm";
import type { RateLimitSpec } from "../config/schema";
import type { Database } from "../db/client";
import type { Locator } from "../keys/locator";
import { cachedKeyCheck, type KeyRecord, toKeyRecord } from "../keys/record";
import { findKeyRowsBySecretHash, type KeyRecordRows } from "../keys/store";
import type { ObjectDatabase } from "../objects/database";
import { decidingObjectName, locatorObjectName } from "../objects/names";
import { keyRecords } from "../objects/schema";
import { type AccessFacts, type AccessRefusal, accessRefusal } from "../verdict/access";
import { ColdAsks } from "./cold-asks";
import { type CheckInput, type InspectInput, type KeyInspection, keyLimitRequests, type LimitDecision, requestLimits } from "./decision";
import type { LeaseRequest } from "./lease-holder";

/** What of the matched route the object needs: its scopes and its limits (with the key's overrides by `path`). */
export interface ResolveRoute {
  path: string;
  scopes: string[];
  rateLimits: RateLimitSpec[];
}

/** A cold isolate's one call: the presented secret's hash and the request's facts. */
export interface ResolveInput extends AccessFacts {
  hash: string;
  /** The object the key's body names: the one called. */
  locator: Locator;
  /** `spend`: decide and spend `cost`; `read`: the key's state, spending nothing (as `inspect`). */
  mode: "spend" | "read";
  route: ResolveRoute | undefined;
  /** Where usage counts: the route's path, or the caller's own label. */
  usageRoute: string;
  cost: number;
  /** `spend` with leases on: the isolate's ask (lease-client.ts `coldKeyAsk`), decided as `check` decides one; the grant comes back in the decision. */
  lease?: LeaseRequest;
  /**
   * `spend` with leases on: names the isolate's lease-asking `resolve` of this secret, sent by it
   * (with `lease`) and by each racer sent while it was in flight (without): a racer gives its lease back (cold-asks.ts).
   */
  coldAsk?: string;
}

/**
 * `unknown`: no key has this secret (nothing was stored). `elsewhere`: another object decides for
 * the key (it changed identity since the secret was issued); nothing was decided. `here`: the
 * record as this object knows it (the newest), with the refusal of validity, scopes or IP (then
 * nothing was spent), or else the decision (`spend`) or the inspection (`read`).
 */
export type ResolveAnswer =
  | { found: "unknown" }
  | { found: "elsewhere"; record: KeyRecord }
  | { found: "here"; record: KeyRecord; refused: AccessRefusal }
  | { found: "here"; record: KeyRecord; refused?: undefined; decision: LimitDecision }
  | { found: "here"; record: KeyRecord; refused?: undefined; inspection: KeyInspection };

/**
 * The secrets this object decides for, as their D1 rows (key, secret, identity, plan) by hash. The
 * table is made with the first record kept, so a call about an unknown hash writes nothing; its
 * existence is asked each time, since a retired object's storage may have been deleted meanwhile.
 */
export class KeyRecords {
  constructor(
    private readonly objectDb: ObjectDatabase,
    /** D1 as the object's env has it when a read is due. */
    private readonly db: () => Database,
  ) {}

  /** The rows kept for the secret; reads only. */
  kept(hash: string): KeyRecordRows | undefined {
    if (!this.hasTable()) return undefined;
    const row = this.objectDb.select({ rows: keyRecords.rows }).from(keyRecords).where(eq(keyRecords.hash, hash)).get();
    return row ? (JSON.parse(row.rows) as KeyRecordRows) : undefined;
  }

  /** The secret's rows as D1 has them now (one query, from the object). */
  read(hash: string): Promise<KeyRecordRows | undefined> {
    return findKeyRowsBySecretHash(this.db(), hash);
  }

  keep(hash: string, rows: KeyRecordRows): void {
    // Not a schema step: an object that never resolves a secret has no such table (see above).
    this.objectDb.run(sql`CREATE TABLE IF NOT EXISTS key_records (hash TEXT PRIMARY KEY, rows TEXT NOT NULL) WITHOUT ROWID`);
    const json = JSON.stringify(rows);
    this.objectDb
      .insert(keyRecords)
      .values({ hash, rows: json })
      .onConflictDoUpdate({ target: keyRecords.hash, set: { rows: json } })
      .run();
  }

  forget(hash: string): void {
    if (this.hasTable()) this.objectDb.delete(keyRecords).where(eq(keyRecords.hash, hash)).run();
  }

  private hasTable(): boolean {
    return this.objectDb.get(sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'key_records'`) !== undefined;
  }
}

/** What `resolveKey` asks of the object it runs in. */
export interface DecidingObject {
  /** Whether the object knows a newer version of the record's key or identity (an admin write told it). */
  older(record: KeyRecord): boolean;
  check(input: CheckInput): LimitDecision;
  inspect(input: InspectInput): KeyInspection;
}

const recordOf = (rows: KeyRecordRows): KeyRecord => toKeyRecord(rows.key, rows.secret, rows.identity, rows.plan);

/** The newest record of the secret this object can have: the kept one, else D1's (kept when it is decided here). */
async function newestRecord(
  input: ResolveInput,
  records: KeyRecords,
  object: DecidingObject,
): Promise<{ record: KeyRecord; here: boolean } | undefined> {
  const kept = records.kept(input.hash);
  if (kept) {
    const record = recordOf(kept);
    if (!object.older(record)) return { record, here: true };
  }
  const rows = await records.read(input.hash);
  if (!rows) {
    if (kept) records.forget(input.hash);
    return undefined;
  }
  const record = recordOf(rows);
  return { record, here: holdNewest(input.hash, input.locator, rows, record, records) };
}

/** Rows of a key's secrets as D1 has them, handed to an object by an admin write (`keepRecords`). */
export interface HandedRecords {
  /** The object called: the one the new secret's body names (`new`), or the one deciding for the key (`update`). */
  locator: Locator;
  /** `new`: a secret just made, kept when this object decides for it; `update`: secrets issued before, whose rows are replaced only where kept. */
  kind: "new" | "update";
  secrets: { hash: string; rows: KeyRecordRows }[];
}

/** Keeps the rows when this object, the one the secret names, decides for the key; else drops any kept. Answers whether it decides. */
function holdNewest(hash: string, locator: Locator, rows: KeyRecordRows, record: KeyRecord, records: KeyRecords): boolean {
  const here = decidingObjectName(record.id, cachedKeyCheck(record)) === locatorObjectName(locator);
  // A revoked key's record is not kept: revocation is final, and its object retires its storage (retirement.ts).
  if (here && record.revokedAt === null) records.keep(hash, rows);
  else records.forget(hash);
  return here;
}

/** Whether `held` is of a newer version of the key, or of its identity, than `record`. */
const newerThan = (held: KeyRecord, record: KeyRecord) =>
  held.version !== record.version ? held.version > record.version : (held.identity?.version ?? 0) > (record.identity?.version ?? 0);

/**
 * An admin write hands over its secrets' rows (docs/rate-limits.md "One round trip for a cold key"):
 * held as a `resolve` reading D1 would hold them, so the next `resolve` of each reads no D1. Rows
 * older than a version this object was told, or than the rows it holds, are left (`resolve` reads
 * D1 then); an update's rows only replace rows held (an object keeps only the secrets naming it).
 */
export function keepRecords(handed: HandedRecords, records: KeyRecords, object: Pick<DecidingObject, "older">): void {
  for (const { hash, rows } of handed.secrets) {
    const record = recordOf(rows);
    if (object.older(record)) continue;
    const held = records.kept(hash);
    if (held ? newerThan(recordOf(held), record) : handed.kind === "update") continue;
    holdNewest(hash, handed.locator, rows, record, records);
  }
}

/**
 * Judges a presented secret and decides its request in one call: the record, then validity,
 * scopes and IP allowlist with the verdict's own checks (a refusal spends nothing), then the limits
 * and quota as any `check` (or `inspect`, reading) does. The record goes back to be cached.
 */
export async function resolveKey(input: ResolveInput, records: KeyRecords, object: DecidingObject): Promise<ResolveAnswer> {
  const received = Date.now();
  const found = await newestRecord(input, records, object);
  if (!found) return { found: "unknown" };
  const { record } = found;
  // This object holds the newest version it was told: the isolate may judge on the copy as freshly read.
  record.loadedAt = Date.now();
  if (!found.here) return { found: "elsewhere", record };
  const refused = accessRefusal(record, input, record.loadedAt);
  if (refused) return { found: "here", record, refused };
  const limits = input.route ? requestLimits(record.rateLimits, record.routeRateLimits, input.route) : keyLimitRequests(record.rateLimits);
  const key = cachedKeyCheck(record);
  if (input.mode === "read") return { found: "here", record, inspection: object.inspect({ limits, key }) };
  const check: CheckInput = { limits, cost: input.cost, key, route: input.usageRoute };
  const now = Date.now();
  const { lease: ask, coldAsk } = input;
  if (coldAsk !== undefined && !ask) {
    // A racer: the lease its asking `resolve` brought is closed unused before this request is decided (a TTL of 0 asks none).
    const given = coldAsks.raced(coldAsk, now);
    const giveBack: LeaseRequest | undefined = given && {
      isolateId: given.isolateId,
      closed: [{ leaseId: given.leaseId, used: 0 }],
      rate: 0,
      admitted: 0,
      refused: 0,
      ttlMs: 0,
    };
    return { found: "here", record, decision: object.check(giveBack ? { ...check, lease: giveBack } : check) };
  }
  // A lease counts from the isolate's send: one decided after half its TTL here (a slow D1 read)
  // would arrive mostly spent, its units held where no request can use them; none is granted then.
  // Nor after a racer of it: the isolate uses no lease whose ask had racers.
  const leases = ask !== undefined && now - received <= ask.ttlMs / 2 && (coldAsk === undefined || coldAsks.mayLease(coldAsk, now));
  const decision = object.check(leases ? { ...check, lease: ask } : check);
  if (coldAsk !== undefined && ask && decision.lease?.units) coldAsks.granted(coldAsk, ask.isolateId, decision.lease.leaseId, now);
  return { found: "here", record, decision };
}

/** The cold asks every key object in this isolate was sent: their ids are random, never shared between objects. */
const coldAsks = new ColdAsks();
