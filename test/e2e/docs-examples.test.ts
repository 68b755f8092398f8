// Every shell example of the README and of docs/*.md, run as written against one live `npm run dev`
// (scripts/dev.ts itself: wrangler.toml, its demo routes, dev admin token and `free` plan, its loopback
// echo upstream; only its ports and state folder are the test's), so the docs cannot drift from what
// the gateway does. Conventions (skip annotations, shown output, placeholders): test/README.md § Docs examples.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";
import { hasValue, keysOf, type ShellBlock, type Step, shellBlocks, shownPattern } from "./support/shell-examples.ts";

const PORT = 18_000 + (process.pid % 1000) * 3;
const GATEWAY = `http://localhost:${PORT}`;
const ADMIN_TOKEN = "dev-admin-token";
const state = mkdtempSync(join(tmpdir(), "docs-examples-"));
let dev: ChildProcess;
/** The end of what `npm run dev` printed, for when it does not come up. */
let devOutput = "";

const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];
const BLOCKS = new Map(PAGES.map((page) => [page, shellBlocks(page, readFileSync(join(ROOT, page), "utf8"))]));

beforeAll(async () => {
  dev = spawn(
    process.execPath,
    ["scripts/dev.ts", "--port", String(PORT), "--inspector-port", String(PORT + 2), "--persist-to", join(state, "wrangler")],
    {
      cwd: ROOT,
      env: { ...process.env, ECHO_PORT: String(PORT + 1), OIDC_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  for (const stream of [dev.stdout, dev.stderr]) stream?.on("data", (chunk: Buffer) => (devOutput = (devOutput + chunk).slice(-4000)));
  for (let waited = 0; ; waited += 250) {
    const up = await fetch(`${GATEWAY}/_gateway/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (waited > 110_000 || dev.exitCode !== null) throw new Error(`npm run dev did not come up:\n${devOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 120_000);

afterAll(() => {
  // wrangler dev and its workerd run in the group dev.ts leads.
  if (dev?.pid) process.kill(-dev.pid, "SIGINT");
  rmSync(state, { recursive: true, force: true });
  const counts = [...BLOCKS.values()].flat();
  console.log(
    `docs examples: ${counts.filter((block) => !block.skip).length} blocks run, ${counts.filter((block) => block.skip).length} skipped`,
  );
});

/** An id or key a page writes as `<prefix>_…`, and the same as the gateway prints it. */
const PLACEHOLDER = /\b(gk_live|gop|key|idt|pln|op|whk|msg)_…/g;
const PRINTED = /\b(gk_live|gop|key|idt|pln|op|whk|msg)_[A-Za-z0-9]{10,}/g;
const STATUS_MARK = "docs-test-status:";

async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${GATEWAY}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, `setup ${method} ${path}`).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

/** What a page may use before it made its own: one of each, fresh for the page (test/README.md). */
class PageState {
  readonly env: Record<string, string>;
  private readonly ids = new Map<string, string[]>();
  readonly cwd: string;

  private constructor(page: string, env: Record<string, string>) {
    this.env = env;
    this.cwd = join(state, page.replaceAll("/", "_"));
    mkdirSync(this.cwd);
  }

  static async create(page: string): Promise<PageState> {
    const plan = await admin("POST", "/plans", { name: `docs ${page} ${Date.now()}` });
    const identity = await admin("POST", "/identities", { externalId: `docs-${page}-${Date.now()}`, name: "Docs" });
    const key = await admin("POST", "/keys", { name: "docs", owner: "docs", scopes: ["read", "write"] });
    const operator = await admin("POST", "/operators", {
      name: "docs",
      scopes: ["keys:read", "keys:write", "keys:verify", "usage:read", "operators:write"],
    });
    const webhook = await admin("POST", "/webhooks", { url: "https://hooks.example.com/docs", events: ["key.revoked"] });
    const delivery = await admin("POST", `/webhooks/${webhook.id}/test`);
    const page_ = new PageState(page, {
      ...(process.env as Record<string, string>),
      NO_COLOR: "1",
      GATEWAY_URL: GATEWAY,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      ADMIN_TOKEN,
      GATEWAY,
      GW: `${GATEWAY}/_gateway/admin`,
      AUTH: `Authorization: Bearer ${ADMIN_TOKEN}`,
      OPERATOR_TOKEN: String(operator.token),
      API_KEY: String(key.key),
      IDENTITY: String(identity.id),
    });
    for (const printed of [plan.id, identity.id, key.id, key.key, operator.id, operator.token, webhook.id, delivery.id])
      page_.remember(String(printed));
    return page_;
  }

  remember(output: string): void {
    const first = new Map<string, string>();
    for (const [id, prefix] of output.matchAll(PRINTED)) if (!first.has(prefix as string)) first.set(prefix as string, id);
    for (const [prefix, id] of first) this.ids.set(prefix, [...(this.ids.get(prefix) ?? []).filter((known) => known !== id), id]);
  }

  forget(command: string): void {
    for (const [id, prefix] of command.matchAll(PRINTED))
      this.ids.set(
        prefix as string,
        (this.ids.get(prefix as string) ?? []).filter((known) => known !== id),
      );
  }

  /** The command as it runs here: this gateway, the keys CLI without npm's start-up, placeholders filled. */
  local(command: string): string {
    return command
      .replaceAll(/https?:\/\/(localhost:8787|gateway\.example\.com|gw\.example\.com)/g, GATEWAY)
      .replaceAll(/\bnpm run keys --(?=\s|$)/g, `"${process.execPath}" "${ROOT}/scripts/keys.ts"`)
      .replaceAll(/\bnpm (?=run\b|test\b)/g, `npm --prefix "${ROOT}" `)
      .replaceAll(PLACEHOLDER, (placeholder, prefix: string) => {
        const id = this.ids.get(prefix)?.at(-1);
        if (!id) throw new Error(`nothing printed before fills ${placeholder}`);
        return id;
      });
  }
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(command: string, page: PageState): Promise<Ran> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", command], { cwd: page.cwd, env: page.env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)\s*$/;

async function runStep(step: Step, page: PageState, where: string): Promise<void> {
  let command = page.local(step.command);
  const assignment = command.match(ASSIGNMENT);
  if (assignment) {
    const name = assignment[1] as string;
    // `NAME=…`: "put yours here"; the setup's value stands.
    if (assignment[2] === "…") return;
    const { stdout, code } = await bash(`${command}\nprintf %s "$${name}"`, page);
    expect(code, where).toBe(0);
    page.env[name] = stdout;
    return;
  }
  const curl = /^curl\b/.test(command);
  const ownWriteOut = /\s(-w|--write-out)\s/.test(command);
  if (curl && !ownWriteOut) command += ` -w '\\n${STATUS_MARK}%{http_code}\\n'`;
  const ran = await bash(command, page);
  const context = `${where}\n$ ${command}\n${ran.stdout}${ran.stderr}`;
  expect(ran.code, context).toBe(0);
  let output = ran.stdout;
  let status: number | undefined;
  if (curl) {
    const marked = output.match(new RegExp(`\\n?${STATUS_MARK}(\\d{3})\\n$`));
    if (marked) {
      status = Number(marked[1]);
      output = output.slice(0, marked.index);
    } else status = Number(output.trim().split("\n").at(-1));
    const expected = step.expect.status;
    if (expected) expect(status, context).toBe(expected);
    else expect(status, `${context}\n(no status shown: a 2xx expected)`).toBeLessThan(300);
  }
  // Ids a page writes as `<prefix>_…` are those it made (a listing's first item may be anyone's).
  if (/\bPOST\b/.test(command) || /\s(create|rotate|import)\s/.test(command)) page.remember(output);
  if (/\bDELETE\b/.test(command) || /\s(delete|revoke)\s/.test(command)) page.forget(command);
  for (const line of step.expect.lines) expect(output, `${context}\n→ ${line}`).toMatch(shownPattern(line));
  if (step.expect.fields.length > 0 || step.expect.values.length > 0) {
    const body = /^HTTP\//.test(output) ? output.slice(output.indexOf("\r\n\r\n") + 4) : output;
    const json = JSON.parse(body) as unknown;
    const keys = keysOf(json);
    for (const field of step.expect.fields) expect(keys.has(field), `${context}\n→ field ${field}`).toBe(true);
    // A value shown that the command sent must come back; the others ("gk_live_AbCd") only illustrate.
    const sent = step.expect.values.filter(([, value]) => command.includes(value));
    for (const [field, value] of sent) expect(hasValue(json, field, value), `${context}\n→ "${field}": "${value}"`).toBe(true);
  }
}

/** Two pages at a time: a page mostly waits on the CLI's start-up and the gateway, so two overlap. */
let lanes = 2;
const waiting: (() => void)[] = [];

async function runPage(page: string, blocks: ShellBlock[]): Promise<void> {
  if (lanes === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  else lanes--;
  try {
    await runBlocks(page, blocks);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else lanes++;
  }
}

async function runBlocks(page: string, blocks: ShellBlock[]): Promise<void> {
  const pageState = await PageState.create(page);
  for (const block of blocks) {
    if (block.skip) continue;
    for (const step of block.steps) await runStep(step, pageState, `${page}:${step.line}`);
  }
}

describe("the docs' shell examples against npm run dev", () => {
  it("every shell block is run or marked skip with a reason", () => {
    const all = [...BLOCKS.values()].flat();
    expect(all.filter((block) => !block.skip).length).toBeGreaterThan(20);
    for (const block of all) expect(block.skip ?? block.steps.length, `${block.file}:${block.line} has no command`).toBeTruthy();
  });

  it("every endpoint a page names (`POST /keys/:id/rotate`) is one the OpenAPI document describes", async () => {
    const document = (await (await fetch(`${GATEWAY}/_gateway/openapi.json`)).json()) as { paths: Record<string, object> };
    const served = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const unknown: string[] = [];
    for (const page of PAGES) {
      for (const [, method, path] of readFileSync(join(ROOT, page), "utf8").matchAll(
        /\b(GET|POST|PUT|PATCH|DELETE) (\/[\w/{}:.-]*[\w}])/g,
      )) {
        // Paths outside the gateway's API: the pages' own HTML and Stripe's.
        if (/^\/_gateway\/(portal|docs$)|^\/v1\/billing\//.test(path as string)) continue;
        const normal = (path as string).replace(/:(\w+)/g, "{$1}");
        // The document's paths are under its server, /_gateway; the pages' admin tables leave out /_gateway/admin.
        const candidates = normal.startsWith("/_gateway/") ? [normal.slice("/_gateway".length)] : [normal, `/admin${normal}`];
        // The document names path parameters its own way ({id}, {deliveryId}): compare the shape.
        const shape = (text: string) => text.replace(/\{\w+\}/g, "{}");
        const found = candidates.some((candidate) => [...served].some((entry) => shape(entry) === shape(`${method} ${candidate}`)));
        if (!found) unknown.push(`${page}: ${method} ${path}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  for (const [page, blocks] of BLOCKS) {
    if (!blocks.some((block) => !block.skip)) continue;
    it.concurrent(
      `${page}: ${blocks.filter((block) => !block.skip).length} of ${blocks.length} blocks`,
      () => runPage(page, blocks),
      180_000,
    );
  }
});
