import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import type { AnyStageEnv } from "../../src/env";
import { renderError } from "../../src/http/problem";
import { expectProblem } from "../support/gateway";

/** A Hono app with the gateway's error handler, for exceptions no gateway route throws today (Hono's own middleware does). */
function throwing(error: Error) {
  const app = new Hono<AnyStageEnv>();
  app.onError(renderError);
  app.get("/", () => {
    throw error;
  });
  return app.request("/");
}

describe("renderError and HTTPException", () => {
  it("answers an HTTPException with its own response and headers when its status has no error code", async () => {
    const own = new Response("I'm a teapot", { status: 418, headers: { "x-own": "kept", "content-type": "text/plain" } });
    const response = await throwing(new HTTPException(418, { res: own }));
    expect(response.status).toBe(418);
    expect(response.headers.get("x-own")).toBe("kept");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.text()).toBe("I'm a teapot");
  });

  it("keeps the status of an HTTPException without a response instead of a 500", async () => {
    const response = await throwing(new HTTPException(429, { message: "slow down" }));
    expect(response.status).toBe(429);
    expect(await response.text()).toBe("slow down");
  });

  it("renders a mapped status as problem+json and keeps the exception's response headers", async () => {
    const own = new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="elsewhere"' } });
    const response = await throwing(new HTTPException(401, { message: "who are you", res: own }));
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="elsewhere"');
    expect((await expectProblem(response, 401, "invalid_key")).detail).toBe("who are you");
  });

  it("still answers any other error as a 500 internal_error without its text", async () => {
    const response = await throwing(new Error("secret stack detail"));
    const body = await expectProblem(response, 500, "internal_error");
    expect(JSON.stringify(body)).not.toContain("secret");
  });
});
