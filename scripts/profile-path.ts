// `npx node scripts/profile-path.ts [--target keyed-no-assets] [--ms 8000] [--concurrency 8] [--inclusive]`: a V8 CPU
// profile of the gateway's isolate while it serves one path under load (target names:
// scripts/path-targets.ts), taken through workerd's inspector; prints the functions with the most
// self time (`--inclusive`: time with callees). Samples are spread over the isolate's busy time, so shares hold on a noisy machine
// better than throughput does.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { runLoad } from "../bench/load.ts";
import { storageDir } from "../bench/storage.ts";
import { startUpstreamProcess } from "../bench/upstream.ts";
import { buildWorker } from "./build.ts";
import { parsePathTarget, pathRequest, startPathGateway } from "./path-targets.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "keyed-no-assets" },
    ms: { type: "string", default: "8000" },
    concurrency: { type: "string", default: "8" },
    inclusive: { type: "boolean", default: false },
  },
});
const path = parsePathTarget(values.target);
const INSPECTOR_PORT = 9339;
process.env.GATEWAY_INSPECTOR_PORT = String(INSPECTOR_PORT);

const storage = storageDir("tmpfs");
const upstream = await startUpstreamProcess();
const { value: gateway } = await startPathGateway(upstream.url, storage, buildWorker(), path);
try {
  const target = await pathRequest(gateway.url, path.kind);
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json()) as {
    title: string;
    webSocketDebuggerUrl: string;
  }[];
  const inspector = targets.find((t) => t.title === "core:user:gateway") ?? targets.find((t) => t.title.includes("gateway"));
  if (!inspector) throw new Error("the gateway worker is not among the inspector's targets");
  const socket = new WebSocket(inspector.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
  let lastId = 0;
  const answers = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) answers.get(message.id)?.(message.result);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = ++lastId;
      answers.set(id, resolve as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });

  const concurrency = Number(values.concurrency);
  await runLoad(target, concurrency, 1500, 300); // JIT warm, connections open
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const load = await runLoad(target, concurrency, Number(values.ms), 0);
  const { profile } = await send<{ profile: Profile }>("Profiler.stop");
  socket.close();

  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node.id] as const)));
  const nameOf = (id: number) => {
    const frame = frames.get(id)!;
    return `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : "(native)"}`;
  };
  // Self time by default; --inclusive counts a sample for every function on its stack (once each).
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const names = new Set([nameOf(id)]);
    if (values.inclusive && nameOf(id) !== "(idle) (native)") {
      for (let parent = parents.get(id); parent !== undefined; parent = parents.get(parent)) names.add(nameOf(parent));
    }
    for (const name of names) self.set(name, (self.get(name) ?? 0) + 1);
  }
  const busy = profile.samples.length - (self.get("(idle) (native)") ?? 0);
  console.log(
    `${values.target}: ${load.requests} requests at c=${concurrency}, ${busy} busy samples, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  for (const [name, samples] of [...self].sort((a, b) => b[1] - a[1]).slice(0, values.inclusive ? 70 : 40)) {
    if (name !== "(idle) (native)") console.log(`${((100 * samples) / busy).toFixed(1).padStart(5)}% of busy  ${name}`);
  }
} finally {
  await gateway.dispose();
  await upstream.close();
  storage.remove();
}
