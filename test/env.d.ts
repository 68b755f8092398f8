import type { D1Migration } from "cloudflare:test";
import type { Env as GatewayEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends GatewayEnv {
      TEST_MIGRATIONS: D1Migration[];
      UPSTREAM_URL: string;
      ADMIN_TOKEN: string;
      OIDC_ISSUER: string;
      OIDC_CLIENT_ID: string;
      OIDC_CLIENT_SECRET: string;
      /** An issuer naming the test provider's endpoints as its own (test/support/global-setup.ts). */
      OIDC_MIX_UP_ISSUER: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "KeyLimiter" | "ClientIpCounter";
    }
  }
}
