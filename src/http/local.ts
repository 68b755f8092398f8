// Whether the gateway runs on this machine (docs/security.md): known from the request's own host,
// a loopback name as under `npm run dev`, `wrangler dev` or miniflare. A deployed gateway is never reached on one.
import { isLoopbackHost } from "../webhooks/target";

export function runsLocally(requestUrl: string): boolean {
  return isLoopbackHost(new URL(requestUrl).hostname);
}
