// bench/results/edge.json and edge-run.json (written by `npm run bench:edge`): the edge model's
// table, and its sections in docs/performance.md and the README.
import { existsSync, readFileSync } from "node:fs";
import type { EdgeResults } from "../edge/model.ts";
import type { EdgeOptions } from "../edge/options.ts";
import { EDGE_JSON, EDGE_RUN_JSON } from "../results.ts";
import { markdownTable } from "./markdown.ts";
import type { Table } from "./tables.ts";

/** edge-run.json: what the doc says of the run beside the figures. */
export interface EdgeRunInfo {
  generatedAt: string;
  command: string;
  /** Wall time of the run. */
  seconds: number;
  requests: number;
  isolates: number;
  options: EdgeOptions;
}

const ms = (n: number) => n.toFixed(1);
const seconds = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

export function edgeTable({ rttMs, rate, designs }: EdgeResults): Table {
  return {
    title: `The long tail at the edge (model): ${rate.toLocaleString("en-US")} req/s, D1's primary ${rttMs.d1} ms and key objects ${rttMs.object} ms away`,
    headers: [
      "design",
      "added mean ms",
      "p50 ms",
      "p99 ms",
      "remote trips mean",
      "max",
      "keys over their limit",
      "longest revocation delay",
    ],
    numeric: [1, 2, 3, 4, 5, 6, 7],
    rows: designs.map((d) => [
      `\`${d.name}\``,
      ms(d.addedMs.mean),
      ms(d.addedMs.p50),
      ms(d.addedMs.p99),
      d.remoteRoundTrips.mean.toFixed(3),
      String(d.remoteRoundTrips.max),
      String(d.overLimit),
      seconds(d.revocationMs.max),
    ]),
  };
}

function readEdge(): { results: EdgeResults; run: EdgeRunInfo | undefined } | undefined {
  if (!existsSync(EDGE_JSON)) return undefined;
  const results = JSON.parse(readFileSync(EDGE_JSON, "utf8")) as EdgeResults;
  const run = existsSync(EDGE_RUN_JSON) ? (JSON.parse(readFileSync(EDGE_RUN_JSON, "utf8")) as EdgeRunInfo) : undefined;
  return { results, run };
}

function describeEdgeRun(run: EdgeRunInfo | undefined): string {
  if (!run) return "From `npm run bench:edge` (virtual time, no runtime).";
  const o = run.options;
  const locations = o.locations.map((l) => `${Math.round(l.share * 100)}%`).join("/");
  return (
    `Generated ${run.generatedAt} by \`${run.command}\` in ${run.seconds.toFixed(0)} s (virtual time, no runtime): ` +
    `${run.requests.toLocaleString("en-US")} requests over ${o.durationMs / 1000} s, seed ${o.seed}, Zipf s = ${o.zipfS} over ` +
    `${o.keys.toLocaleString("en-US")} keys, ${o.locations.length} locations taking ${locations} of the traffic with ` +
    `${o.isolatesPerLocation} isolates each at any moment (${run.isolates} over the run: each lives an exponential ` +
    `${o.isolateLifetimeMs / 1000} s on average, then a cold one takes its place), every trip ±${o.rttJitter * 100}% around its RTT, ` +
    `an object's own D1 read ${o.objectD1RttMs} ms${o.coldObjects ? " (objects start with empty storage: `--cold-objects`)" : ""}. Each key has one limit per ${o.windowMs / 1000} s: twice its expected demand ` +
    `(at least ${o.minLimit}), but half of it for one key in ten; ${o.revocations} revocations among the busiest ${o.revokeAmong.toLocaleString("en-US")} ` +
    `keys; ${Math.round(o.importedShare * 100)}% imported keys; LEASE_TTL_MS=${o.leaseTtlMs}, key cache ${o.keyCacheTtlMs / 1000} s.`
  );
}

/** What the designs are and how each column is counted; the whole model: docs/edge-model.md. */
const READING =
  "Same requests, same isolates for every design. `gateway-before`: main before one round trip (cache miss: D1, then the " +
  "key's object); `gateway`: a cold own-format key makes one `resolve` call; both run the gateway's own key cache and lease " +
  "client. `central-verify`: a verifier at the object's distance on every request; `edge-cache-60s`: records cached per " +
  "location for 60 s, limits per isolate. *added*: the remote trips a request waited for; *keys over their limit*: in some " +
  "sliding window; *revocation delay*: last admission after a revocation. What the model holds and leaves out, and why a " +
  "revoked busy key dominates the gateway rows: [edge-model.md](edge-model.md).";

export function edgeSection(): string[] {
  const edge = readEdge();
  if (!edge) return [];
  return ["## The long tail at the edge", describeEdgeRun(edge.run), READING, markdownTable(edgeTable(edge.results))];
}

/** The README's copy: the table and where it is explained. */
export function edgeReadmeSection(): string | undefined {
  const edge = readEdge();
  if (!edge) return undefined;
  return [
    markdownTable(edgeTable(edge.results)),
    `From \`${edge.run?.command ?? "npm run bench:edge"}\`, a model in virtual time driving the gateway's own cache and lease code; ` +
      "what each design and column is, and what the model leaves out: [docs/edge-model.md](docs/edge-model.md).",
  ].join("\n\n");
}
