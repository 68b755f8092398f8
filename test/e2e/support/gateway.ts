// The built gateway for an e2e file: dev/local-gateway.ts on the bundle the e2e globalSetup built
// once for the run (test/e2e/support/global-setup.ts), so no file builds it again.
import { inject } from "vitest";
import { type LocalGateway, type LocalGatewayOptions, startLocalGateway } from "../../../dev/local-gateway.ts";

export function startGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  return startLocalGateway({ scriptPath: inject("gatewayScript"), ...options });
}
