import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, release, totalmem, type } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../scripts/build.ts";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

export interface Runtimes {
  node: string;
  workerd: string;
  wrangler: string;
  miniflare: string;
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
  };
}

function packageVersion(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
}

/** The workerd miniflare itself resolves and runs: its package version and the binary's own date. */
function workerdVersion(): string {
  const fromMiniflare = createRequire(join(ROOT, "node_modules/miniflare/package.json"));
  const main = fromMiniflare.resolve("workerd");
  const binary = (fromMiniflare("workerd") as { default: string }).default;
  const reported = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  return `${packageVersion(join(dirname(main), "..", "package.json"))} (${reported})`;
}

export function runtimes(): Runtimes {
  return {
    node: process.version,
    workerd: workerdVersion(),
    wrangler: packageVersion(join(ROOT, "node_modules/wrangler/package.json")),
    miniflare: packageVersion(join(ROOT, "node_modules/miniflare/package.json")),
  };
}
