// The built gateway on workerd through miniflare, listening on a real socket: used by the
// end-to-end tests and the benchmark (never `wrangler dev`, whose dev proxy is much slower).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { convertV4MiniflareOptions, type LegacyWorkerOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { buildWorker, ROOT } from "../scripts/build.ts";

export interface LocalGateway {
  url: string;
  /**
   * The gateway worker's own socket, without miniflare's entry worker in front: that worker
   * re-parses every URL (resolving `..` and `%2e%2e`), workerd itself passes the raw target on.
   */
  directUrl: string;
  /** Every gateway worker's own socket, `directUrl` first (see `isolates`). */
  directUrls: string[];
  miniflare: Miniflare;
  dispose(): Promise<void>;
}

export interface LocalGatewayOptions {
  /** Vars and secrets layered over wrangler.toml's [vars]. */
  bindings?: Record<string, unknown>;
  port?: number;
  /** Reuse an already built bundle. */
  scriptPath?: string;
  /** Extra workers (e.g. a bare pass-through worker for comparison) to run beside it. */
  extraWorkers?: LegacyWorkerOptions[];
  /**
   * How many gateway workers to run (default 1): each is its own isolate on its own socket, as
   * separate locations are in production, and all share one D1 database and the first worker's
   * Durable Object namespaces.
   */
  isolates?: number;
  /** `false` runs without the `USAGE` Analytics Engine binding, to measure what its local simulation costs. */
  usage?: boolean;
  /** Keep D1 and Durable Object state in this folder, so a second start resumes it (a restart). */
  persistDir?: string;
  /**
   * `false` runs without wrangler.toml's static assets (the dashboard, the API reference), so that
   * `directUrl` reaches the worker itself: the asset router in front of it re-parses each URL.
   */
  assets?: boolean;
}

const workerName = (index: number) => (index === 0 ? "gateway" : `gateway-${index + 1}`);

/**
 * The built entry first, then every module built beside it (scripts/build-worker.ts splits the worker);
 * a module left there by an earlier build is never imported, so never compiled.
 */
function workerModules(scriptPath: string): { type: "ESModule"; path: string }[] {
  const dir = dirname(scriptPath);
  const others = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((file) => join(dir, file))
    .filter((path) => path.endsWith(".mjs") && path !== scriptPath);
  return [scriptPath, ...others].map((path) => ({ type: "ESModule", path }));
}

export async function applyMigrations(miniflare: Miniflare): Promise<void> {
  const db = await miniflare.getD1Database("DB");
  const dir = join(ROOT, "migrations");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const sql = readFileSync(join(dir, file), "utf8").replaceAll("--> statement-breakpoint", "");
    for (const statement of unstable_splitSqlQuery(sql)) await db.prepare(statement).run();
  }
}

export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false"; // offline: no `Request.cf` download
  const scriptPath = options.scriptPath ?? buildWorker();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const { modulesRules: _bundled, analyticsEngineDatasets, assets, ...bindingOptions } = workerOptions;
  const gateway = {
    ...bindingOptions,
    ...(options.usage !== false && { analyticsEngineDatasets }),
    ...(options.assets !== false && { assets }),
    name: workerName(0),
    modules: workerModules(scriptPath),
    modulesRoot: dirname(scriptPath),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    bindings: { ...(workerOptions.bindings as Record<string, unknown> | undefined), ...options.bindings },
  } as LegacyWorkerOptions;
  // The other isolates reach the first one's objects, so every key still has exactly one object.
  const sharedObjects = Object.fromEntries(
    Object.entries(bindingOptions.durableObjects ?? {}).map(([binding, target]) => [
      binding,
      { ...(typeof target === "string" ? { className: target } : target), scriptName: workerName(0) },
    ]),
  );
  const others = Array.from({ length: (options.isolates ?? 1) - 1 }, (_, i) => ({
    ...gateway,
    name: workerName(i + 1),
    durableObjects: sharedObjects,
  })) as LegacyWorkerOptions[];
  // State kept from an earlier start already has its tables.
  const resumed = options.persistDir !== undefined && readdirSync(options.persistDir).length > 0;
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: options.port ?? 0,
      ...(process.env.GATEWAY_INSPECTOR_PORT && { inspectorPort: Number(process.env.GATEWAY_INSPECTOR_PORT) }),
      workers: [gateway, ...others, ...(options.extraWorkers ?? [])],
      ...(options.persistDir && { resourcePersistencePath: options.persistDir }),
    }),
  );
  const url = (await miniflare.ready).origin;
  const directUrls = await Promise.all(
    [gateway, ...others].map(async (worker) => (await miniflare.unsafeGetDirectURL(worker.name)).origin),
  );
  const directUrl = directUrls[0]!;
  if (!resumed) await applyMigrations(miniflare);
  return { url, directUrl, directUrls, miniflare, dispose: () => miniflare.dispose() };
}
