import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { startEchoUpstream } from "../../../dev/echo-upstream.ts";
import { type LocalGateway, startLocalGateway } from "../../../dev/local-gateway.ts";
import { buildWorker } from "../../../scripts/build.ts";
import { SHARED_ADMIN_TOKEN, type SharedGateway, type SharedGatewaySpec } from "./shared-gateway.ts";

/**
 * Builds the worker as `wrangler deploy` would (its [build] builds the assets too), once for every e2e file,
 * and serves the shared gateways (shared-gateway.ts): each configuration is started on its first request,
 * then handed to every file that asks for it, and disposed after the run.
 */
export default async function setup(project: TestProject) {
  const scriptPath = buildWorker();
  project.provide("gatewayScript", scriptPath);

  const upstream = await startEchoUpstream();
  const started = new Map<string, Promise<{ gateway: LocalGateway; shared: SharedGateway }>>();
  const start = (spec: SharedGatewaySpec) => {
    const id = JSON.stringify([spec.isolates, Object.entries(spec.settings).sort()]);
    let gateway = started.get(id);
    if (!gateway) {
      gateway = startLocalGateway({
        scriptPath,
        isolates: spec.isolates,
        bindings: {
          ADMIN_TOKEN: SHARED_ADMIN_TOKEN,
          GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url, stripPrefix: true }]),
          ...spec.settings,
        },
      }).then((local) => ({ gateway: local, shared: { url: local.url, urls: local.directUrls, upstreamUrl: upstream.url } }));
      started.set(id, gateway);
    }
    return gateway;
  };
  const broker = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const { shared } = await start(JSON.parse(Buffer.concat(chunks).toString("utf8")) as SharedGatewaySpec);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(shared));
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String((error as Error).stack ?? error));
    }
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  project.provide("gatewayBroker", `http://127.0.0.1:${(broker.address() as AddressInfo).port}`);

  return async () => {
    broker.closeAllConnections();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const gateways = await Promise.allSettled(started.values());
    await Promise.all(gateways.map((g) => (g.status === "fulfilled" ? g.value.gateway.dispose() : undefined)));
    await upstream.close();
  };
}
