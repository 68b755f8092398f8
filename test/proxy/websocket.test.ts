import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/ws/*", upstream: env.UPSTREAM_URL, cors: { origins: "*" } }]);

let key: string;
beforeAll(async () => {
  ({ key } = await createKey(gateway));
});

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true }));
}

describe("WebSocket", () => {
  it("proxies an upgrade to the upstream and relays messages both ways", async () => {
    const response = await call(gateway, "/ws/chat", {
      headers: { upgrade: "websocket", "x-api-key": key, origin: "https://app.example" },
    });
    expect(response.status).toBe(101);
    const socket = response.webSocket!;
    socket.accept();
    const reply = nextMessage(socket);
    socket.send("hello");
    expect(await reply).toBe("echo: hello");
    const second = nextMessage(socket);
    socket.send("again");
    expect(await second).toBe("echo: again");
    socket.close(1000, "done");
  });

  it("requires a key for an upgrade like any other request", async () => {
    const response = await call(gateway, "/ws/chat", { headers: { upgrade: "websocket" } });
    expect(response.status).toBe(401);
    await expectProblem(response, 401, "missing_key");
  });
});
