// Operator token revocation across gateway isolates sharing one D1: at once in the isolate that
// served the revocation, within the operator cache's TTL in the others (docs/operators.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayIsolates, startGatewayIsolates } from "../support/isolates.ts";

/** What docs/operators.md promises for isolates other than the one that served the revocation. */
const REVOKED_EVERYWHERE_WITHIN_MS = 5_000;
let isolates: GatewayIsolates;

beforeAll(async () => {
  isolates = await startGatewayIsolates({ isolates: 2, routes: (upstream) => [{ path: "/api/*", upstream }] });
});

afterAll(async () => {
  await isolates?.dispose();
});

let client = 0;
/** Status of an admin call with the operator token through isolate `index`, from an address of its own (failures are limited per address). */
async function statusVia(index: number, token: string): Promise<number> {
  const response = await isolates.fetch(index, "/_gateway/admin/keys?limit=1", {
    headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": `198.51.100.${++client}` },
  });
  await response.arrayBuffer();
  return response.status;
}

describe("a revoked operator token", () => {
  it("is refused at once where it was revoked and within 5 s in another isolate", async () => {
    const created = await isolates.admin(0, "POST", "/operators", { name: "roaming", scopes: ["keys:read"] });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect(await statusVia(0, token)).toBe(200);
    expect(await statusVia(1, token)).toBe(200); // isolate 1 now holds the token in its cache

    const revokedAt = Date.now();
    expect((await isolates.admin(0, "DELETE", `/operators/${id}`)).status).toBe(204);
    expect(await statusVia(0, token)).toBe(401);

    const late: number[] = [];
    while (Date.now() < revokedAt + REVOKED_EVERYWHERE_WITHIN_MS + 2_000) {
      const sentAt = Date.now();
      const status = await statusVia(1, token);
      if (sentAt > revokedAt + REVOKED_EVERYWHERE_WITHIN_MS) late.push(status);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set([401]));
  });
});
