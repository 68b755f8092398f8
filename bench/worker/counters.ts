/**
 * Bench-only wrappers that count what the gateway asks of its bindings, without touching src/:
 * the counting entry hands the gateway an env whose DB and KEY_LIMITER are these proxies. The
 * KEY_LIMITER proxy can also delay every call, to play an object in another location.
 */
export interface BindingCounts {
  requests: number;
  d1Queries: number;
  doCalls: number;
  fetches: number;
}

export const counts: BindingCounts = { requests: 0, d1Queries: 0, doCalls: 0, fetches: 0 };

export function resetCounts(): void {
  counts.requests = 0;
  counts.d1Queries = 0;
  counts.doCalls = 0;
  counts.fetches = 0;
}

const EXECUTING = new Set(["first", "all", "raw", "run"]);
const realStatements = new WeakMap<object, D1PreparedStatement>();

/** A statement counts one query each time it is executed (first/all/raw/run). */
function countedStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => countedStatement(target.bind(...args));
      if (EXECUTING.has(String(prop))) {
        return (...args: unknown[]) => {
          counts.d1Queries++;
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  realStatements.set(proxy, statement);
  return proxy;
}

/** D1: every executed statement is one query; a batch counts each of its statements. */
export function countedD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countedStatement(target.prepare(sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counts.d1Queries += statements.length;
          return target.batch(statements.map((s) => realStatements.get(s) ?? s));
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          counts.d1Queries++;
          return target.exec(sql);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Added before every DO call when set: a "remote object" whose round trip costs this much. */
export const remoteObject = { delayMs: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Durable Object stub: each method call (RPC or fetch) is one DO call, delayed by `remoteObject.delayMs`. */
function countedStub<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.doCalls++;
        const call = () => Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        return remoteObject.delayMs > 0 ? sleep(remoteObject.delayMs).then(call) : call();
      };
    },
  });
}

export function countedNamespace<T extends object>(namespace: T): T {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => countedStub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** Every outgoing fetch() from this isolate is a subrequest. */
export function countGlobalFetch(): void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    counts.fetches++;
    return realFetch(input, init);
  };
}
