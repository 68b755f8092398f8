// The README's quick start and the docs' shell examples, run as written against one live `npm run dev`
// (its own ports and a fresh state folder), so the docs cannot drift from what the gateway does.
// An example's expected output is the comment lines under it that start with "#   " ("…" stands for
// anything), or a trailing "# 200"-style status on a curl line.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";

const run = promisify(execFile);
const PORT = 18_000 + (process.pid % 1000) * 3;
const GATEWAY = `http://localhost:${PORT}`;
const state = mkdtempSync(join(tmpdir(), "docs-examples-"));
let dev: ChildProcess;

beforeAll(async () => {
  dev = spawn(process.execPath, ["scripts/dev.ts", "--port", String(PORT), "--inspector-port", String(PORT + 2), "--persist-to", state], {
    cwd: ROOT,
    env: { ...process.env, ECHO_PORT: String(PORT + 1) },
    stdio: "ignore",
    detached: true,
  });
  for (let waited = 0; ; waited += 500) {
    const up = await fetch(`${GATEWAY}/_gateway/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (waited > 110_000 || dev.exitCode !== null) throw new Error("npm run dev did not come up");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}, 120_000);

afterAll(() => {
  // wrangler dev and its workerd run in the group dev.ts leads.
  if (dev?.pid) process.kill(-dev.pid, "SIGINT");
  rmSync(state, { recursive: true, force: true });
});

interface Step {
  command: string;
  expected: string[];
}

/** The ```sh block of a markdown file that follows `marker`. */
function shellBlock(file: string, marker: string): string {
  const text = readFileSync(join(ROOT, file), "utf8");
  const from = text.indexOf("```sh", text.indexOf(marker));
  return text.slice(from + "```sh".length, text.indexOf("```", from + 5)).trim();
}

/** Commands (continuation lines joined) with the "#   " output lines written under each. */
function steps(block: string): Step[] {
  const result: Step[] = [];
  let pending = "";
  for (const line of block.split("\n")) {
    if (pending) {
      pending += `\n${line}`;
      if (!line.endsWith("\\")) {
        result.push({ command: pending, expected: [] });
        pending = "";
      }
    } else if (/^#\s{3}/.test(line)) result.at(-1)?.expected.push(line.replace(/^#\s{3}/, "").trim());
    else if (line.startsWith("#") || !line.trim()) continue;
    else if (line.endsWith("\\")) pending = line;
    else result.push({ command: line, expected: [] });
  }
  return result;
}

/** A documented output line as a pattern: "…" is anything, header names in any case. */
const pattern = (line: string) =>
  new RegExp(
    line
      .split("…")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*"),
    "i",
  );

async function sh(command: string, env: Record<string, string> = {}): Promise<string> {
  const local = command.replaceAll("localhost:8787", `localhost:${PORT}`);
  const { stdout } = await run("bash", ["-c", local], { cwd: ROOT, env: { ...process.env, ...env } });
  return stdout;
}

describe("the docs' examples against npm run dev", () => {
  it("README quick start: create a key, proxy, rate limit, revoke, each output as written", async () => {
    const env: Record<string, string> = {};
    const all = steps(shellBlock("README.md", "In a second terminal:"));
    expect(all.length).toBeGreaterThan(5);
    for (const step of all) {
      // The README asks the reader to paste the key and id it printed.
      if (/^(KEY|ID)=/.test(step.command)) continue;
      const output = await sh(step.command, env);
      if (step.command.includes("/_gateway/admin/keys") && step.command.includes("POST")) {
        const created = JSON.parse(output) as { key: string; id: string };
        Object.assign(env, { KEY: created.key, ID: created.id });
      }
      for (const line of step.expected) expect(output, `${step.command}\n→ ${line}`).toMatch(pattern(line));
    }
  });

  it("routes.md: dot segments as wrangler dev hands them to the gateway", async () => {
    const block = shellBlock("docs/routes.md", "What the worker receives is not always");
    for (const line of block.split("\n")) {
      const status = line.match(/#\s*(\d{3})\b/)?.[1];
      if (!status) continue;
      expect((await sh(line.slice(0, line.indexOf("#")))).trim(), line).toBe(status);
    }
  });
});
