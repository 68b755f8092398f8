import { Miniflare } from "miniflare";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { startUpstreamProcess } from "../bench/upstream.ts";
import { runLoad } from "../bench/load.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
process.env.TMPDIR = mkdtempSync("/dev/shm/prof-");
const up = await startUpstreamProcess();
const gw = await startLocalGateway({ bindings: { ADMIN_TOKEN: "t", GATEWAY_ROUTES: JSON.stringify([{ path: "/key/*", upstream: up.url, stripPrefix: true }]) } });
// reconfigure with inspector
const mf = gw.miniflare as Miniflare;
const url = await mf.getInspectorURL().catch((e) => { console.log("no inspector", String(e)); return null; });
console.log("inspector", url?.href);
const r = await fetch(gw.url + "/_gateway/admin/keys", { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: JSON.stringify({ name: "x", rateLimits: [{ name: "m", limit: 1e9, window: 60 }] }) });
const key = ((await r.json()) as any).key;
await runLoad({ url: gw.url + "/key/hello", headers: { "x-api-key": key } }, 8, 2000, 500);
if (url) {
  const list = await (await fetch(`http://${url.host}/json`)).json() as any[];
  console.log(list.map((t) => t.title + " " + t.webSocketDebuggerUrl));
  const target = list.find((t) => /gateway/.test(t.title)) ?? list[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((res) => ws.on("open", res));
  let id = 0; const pending = new Map<number, (v: any) => void>();
  ws.on("message", (m) => { const msg = JSON.parse(String(m)); if (msg.id && pending.has(msg.id)) { pending.get(msg.id)!(msg); pending.delete(msg.id); } });
  const send = (method: string, params: any = {}) => new Promise<any>((res) => { const i = ++id; pending.set(i, res); ws.send(JSON.stringify({ id: i, method, params })); });
  await send("Profiler.enable"); await send("Profiler.setSamplingInterval", { interval: 100 }); await send("Profiler.start");
  const res = await runLoad({ url: gw.url + "/key/hello", headers: { "x-api-key": key } }, 8, 5000, 0);
  const prof = await send("Profiler.stop");
  writeFileSync("/tmp/gw.cpuprofile", JSON.stringify(prof.result.profile));
  console.log("rps", Math.round(res.rps));
  ws.close();
}
await gw.dispose(); await up.stop?.();
process.exit(0);
