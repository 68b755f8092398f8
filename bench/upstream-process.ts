// The echo upstream in its own process, so that it does not share the load generator's event loop.
// The parent asks for the request count over IPC.
import { startEchoUpstream } from "../dev/echo-upstream.ts";

const upstream = await startEchoUpstream();

process.on("message", (message: { type: string }) => {
  if (message.type === "count") process.send?.({ type: "count", count: upstream.received() });
  if (message.type === "reset") {
    upstream.reset();
    process.send?.({ type: "reset" });
  }
});
process.on("disconnect", () => void upstream.close().then(() => process.exit(0)));
process.send?.({ type: "ready", url: upstream.url });
