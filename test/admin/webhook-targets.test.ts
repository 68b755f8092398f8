import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, localAdmin } from "../support/admin";
import { expectProblem, json } from "../support/gateway";

const hook = (url: string) => admin(env, "POST", "/webhooks", { url, events: ["key.revoked"] });

const REFUSED = [
  "https://169.254.169.254/latest/meta-data/",
  "https://10.0.0.1/hook",
  "https://172.16.5.4/hook",
  "https://192.168.1.1/hook",
  "https://100.64.0.1/hook",
  "https://[fd00::1]/hook",
  "https://[fe80::1]/hook",
  "https://[::1]/hook",
  "https://[::ffff:10.0.0.1]/hook",
  "https://[::ffff:169.254.169.254]/hook",
  "https://0x7f000001/hook",
  "https://2130706433/hook",
  "https://0177.0.0.1/hook",
  "https://127.1/hook",
  "https://0.0.0.0/hook",
  "https://localhost/hook",
  "https://app.localhost/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://metadata/hook",
  "http://127.0.0.1:9/hook",
  "http://localhost:9/hook",
];

describe("webhook targets", () => {
  it.each(REFUSED)("refuses %s: not a public address", async (url) => {
    const problem = await expectProblem(await hook(url), 400, "invalid_request");
    expect(problem.detail).toContain("url");
  });

  it("refuses a private target on update too", async () => {
    const { id } = await json(await hook("https://hooks.example.com/gateway"), 201);
    await expectProblem(await admin(env, "PATCH", `/webhooks/${id}`, { url: "https://10.1.2.3/x" }), 400, "invalid_request");
  });

  it("accepts public names and addresses", async () => {
    await json(await hook("https://hooks.example.com/gateway"), 201);
    await json(await hook("https://93.184.215.14/hook"), 201);
    await json(await hook("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook"), 201);
  });

  it("accepts loopback only when the gateway runs locally (its own host is a loopback name)", async () => {
    await json(await localAdmin(env, "POST", "/webhooks", { url: "http://127.0.0.1:9/hook", events: ["key.revoked"] }), 201);
    await json(await localAdmin(env, "POST", "/webhooks", { url: "http://localhost:9/hook", events: ["key.revoked"] }), 201);
    // Private and metadata addresses stay refused locally.
    await expectProblem(
      await localAdmin(env, "POST", "/webhooks", { url: "http://169.254.169.254/", events: ["key.revoked"] }),
      400,
      "invalid_request",
    );
  });
});
