import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /_gateway/health", () => {
  it("answers ok", async () => {
    const res = await exports.default.fetch("http://gw.test/_gateway/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
