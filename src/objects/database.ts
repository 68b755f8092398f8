// The typed query builder over a Durable Object's own SQLite (drizzle's durable-sqlite driver),
// for the stores off the hot path; the tables are made by ratelimit/object-schema.ts's steps.
import { type DrizzleSqliteDODatabase, drizzle } from "drizzle-orm/durable-sqlite";
import * as schema from "./schema";

/** An object's SQLite through drizzle; queries run synchronously (`.all()`, `.get()`, `.run()`). */
export type ObjectDatabase = DrizzleSqliteDODatabase<typeof schema>;

/** Opens drizzle over the object's storage (cheap: no I/O, no schema work). */
export const objectDatabase = (storage: DurableObjectStorage): ObjectDatabase => drizzle(storage, { schema });
