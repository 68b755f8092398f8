// Lints the OpenAPI document the gateway serves, as served: the built worker on workerd (offline),
// then `redocly lint` with the rules in redocly.yaml. Part of `npm run lint`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { ROOT } from "./build.ts";

const gateway = await startLocalGateway();
let document: string;
try {
  const response = await fetch(`${gateway.url}/_gateway/openapi.json`);
  document = await response.text();
  if (!response.ok) throw new Error(`GET /_gateway/openapi.json answered ${response.status}: ${document}`);
} finally {
  await gateway.dispose();
}

const file = join(mkdtempSync(join(tmpdir(), "gateway-openapi-")), "openapi.json");
writeFileSync(file, document);
try {
  execFileSync("redocly", ["lint", file, "--config", join(ROOT, "redocly.yaml"), "--format", "stylish"], {
    stdio: "inherit",
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
} catch {
  process.exitCode = 1; // redocly has printed the problems
}
