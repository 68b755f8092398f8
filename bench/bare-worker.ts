// The physical limit of any Workers proxy: a worker that fetches the same upstream and returns
// its response untouched. It runs in its own Miniflare (own workerd process and port) with the
// gateway's compatibility settings, so its CPU is measured apart and its requests take the same
// path through miniflare's entry worker as the gateway's.
import { join } from "node:path";
import { convertV4MiniflareOptions, type LegacyWorkerOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT } from "../scripts/build.ts";

const BARE_WORKER = `
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname.replace(/^\\/bench/, "") + url.search, request);
  },
};
`;

export interface BareWorker {
  url: string;
  dispose(): Promise<void>;
}

export async function startBareWorker(upstreamUrl: string): Promise<BareWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const worker = {
    name: "bare",
    modules: true,
    script: BARE_WORKER,
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    bindings: { UPSTREAM: upstreamUrl },
  } as LegacyWorkerOptions;
  const miniflare = new Miniflare(convertV4MiniflareOptions({ host: "127.0.0.1", port: 0, workers: [worker] }));
  const url = (await miniflare.ready).origin;
  return { url, dispose: () => miniflare.dispose() };
}
