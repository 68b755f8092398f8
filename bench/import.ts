/**
 * The key import at scale (docs/keys.md § Import): writes a JSONL file of foreign keys, imports it
 * with `npm run keys -- import` into the built gateway (miniflare, local D1), then spot-checks a
 * random sample of the keys through the proxy. Run: npm run bench:import -- [--keys 100000] [--sample 1000] [--rerun]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEchoUpstream } from "../dev/echo-upstream.ts";
import { foreignKey, writeImportFile } from "../dev/import-file.ts";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { ROOT } from "../scripts/build.ts";
import type { ImportSummary } from "../scripts/keys-import.ts";

const TOKEN = "bench-import-admin-token";
const PREFIX = "sk_live";

const { values } = parseArgs({
  options: { keys: { type: "string", default: "100000" }, sample: { type: "string", default: "1000" }, rerun: { type: "boolean" } },
});
const keyCount = Number(values.keys);
const sampleSize = Math.min(Number(values.sample), keyCount);

/** Runs the CLI's import with its progress bar on this terminal; answers its JSON summary and the wall time. */
function cliImport(url: string, file: string): Promise<{ summary: ImportSummary; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["scripts/keys.ts", "--url", url, "import", file, "--prefix", PREFIX, "--json"], {
    cwd: ROOT,
    env: { ...process.env, GATEWAY_ADMIN_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the import exited with ${code}`));
      resolve({ summary: JSON.parse(stdout) as ImportSummary, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Statuses of the proxy's answers to these keys, 16 requests at a time. */
async function proxyStatuses(url: string, keys: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < keys.length; i += 16) {
    const answers = await Promise.all(
      keys.slice(i, i + 16).map((key) => fetch(`${url}/api/check`, { headers: { "x-api-key": key } }).then((r) => r.status)),
    );
    statuses.push(...answers);
  }
  return statuses;
}

const dir = mkdtempSync(join(tmpdir(), "bench-import-"));
const upstream = await startEchoUpstream();
const gateway = await startLocalGateway({
  bindings: { ADMIN_TOKEN: TOKEN, GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url }]) },
});
try {
  const file = join(dir, "keys.jsonl");
  const keys = await writeImportFile(file, keyCount, PREFIX);
  console.log(`wrote ${keyCount.toLocaleString("en-US")} keys to ${file} (one in four by hash)`);

  const first = await cliImport(gateway.url, file);
  console.log(
    `import: ${first.summary.imported} imported, ${first.summary.duplicates} duplicates, ${first.summary.invalid.length} invalid in ${first.seconds.toFixed(1)} s`,
  );

  const sample = Array.from({ length: sampleSize }, () => keys[Math.floor(Math.random() * keys.length)]!);
  const statuses = await proxyStatuses(gateway.url, sample);
  const admitted = statuses.filter((s) => s === 200).length;
  const strangers = await proxyStatuses(gateway.url, [foreignKey(PREFIX), foreignKey("sk_other")]);
  console.log(
    `spot check: ${admitted}/${sampleSize} sampled keys admitted through the proxy; unknown keys answered ${strangers.join(", ")}`,
  );

  let rerun: { summary: ImportSummary; seconds: number } | undefined;
  if (values.rerun) {
    rerun = await cliImport(gateway.url, file);
    console.log(`re-run: ${rerun.summary.imported} imported, ${rerun.summary.duplicates} duplicates in ${rerun.seconds.toFixed(1)} s`);
  }

  const ok =
    first.summary.imported === keyCount &&
    admitted === sampleSize &&
    strangers.every((s) => s === 401) &&
    (!rerun || rerun.summary.duplicates === keyCount);
  if (!ok) {
    console.error("FAILED: not every key was imported, or a sampled key was not admitted");
    process.exitCode = 1;
  }
} finally {
  await gateway.dispose();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
}
