import { execFileSync } from "node:child_process";
import { type LocalGateway, startLocalGateway } from "../dev/local-gateway.ts";
import { ROOT } from "../scripts/build.ts";

export const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
export const BENCH_PATH = "/bench/hello";

/** LEASE_TTL_MS as each gateway variant runs it: the default (unset) or 0, one DO call per request. */
export const LEASE_SETTINGS = { leased: {}, unleased: { LEASE_TTL_MS: "0" } } as const;

/**
 * The gateway with one route, /bench/* → the upstream, prefix stripped; `vars` layered over wrangler.toml's.
 * Without wrangler.toml's [assets] unless `assets`: in miniflare their router worker runs in front of the
 * gateway in the same workerd process, which a bare worker does not have (docs/performance.md).
 */
export function startBenchGateway(
  upstreamUrl: string,
  scriptPath?: string,
  vars: Record<string, string> = {},
  { assets = false } = {},
): Promise<LocalGateway> {
  return startLocalGateway({
    ...(scriptPath ? { scriptPath } : {}),
    assets,
    bindings: {
      ADMIN_TOKEN,
      GATEWAY_ROUTES: JSON.stringify([{ path: "/bench/*", upstream: upstreamUrl, stripPrefix: true }]),
      ...vars,
    },
  });
}

/** A limit no run can reach, so every request takes the allowed path. */
const UNREACHABLE_LIMITS = [{ name: "minute", limit: 100_000_000, window: 60 }];

/** A key with `rateLimits` (by default one no run can reach; `[]` for a key without limits). */
export async function createBenchKey(gatewayUrl: string, name = "bench", rateLimits: object[] = UNREACHABLE_LIMITS): Promise<string> {
  const response = await fetch(`${gatewayUrl}/_gateway/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name, rateLimits }),
  });
  if (response.status !== 201) throw new Error(`creating a bench key: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

export const COUNTING_BUILD_DIR = ".build/bench-counting";

/** The gateway behind counting bindings (bench/worker/counting-entry.ts), bundled as wrangler deploys it. */
export function buildCountingWorker(): string {
  // `--bundle`: wrangler.toml uploads the split build as is (`no_bundle`); this entry is bundled by wrangler, in one file.
  execFileSync("wrangler", ["deploy", "bench/worker/counting-entry.ts", "--bundle", "--dry-run", "--outdir", COUNTING_BUILD_DIR], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return `${ROOT}${COUNTING_BUILD_DIR}/counting-entry.js`;
}
