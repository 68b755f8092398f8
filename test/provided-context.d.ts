// What vitest.config.ts and the globalSetups provide to test files (`inject`), in one place for every tsconfig.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** The echo upstream the workers project's gateways proxy to (test/support/global-setup.ts). */
    upstreamUrl: string;
    /** The local OpenID provider the workers project's portal signs in at (test/support/global-setup.ts). */
    oidcIssuer: string;
    /** An issuer that hands out the real provider's endpoints under its own name (a mix-up). */
    oidcMixUpIssuer: string;
    /** The built worker's entry, built once per run for every e2e gateway (test/e2e/support/global-setup.ts). */
    gatewayScript: string;
    /** Where e2e files ask for a gateway shared by the run (test/e2e/support/shared-gateway.ts). */
    gatewayBroker: string;
    /** Factor on every property's full size, `PROPERTY_RUNS` (test/support/properties.ts). */
    propertyRuns: number;
    /** fast-check seed, `PROPERTY_SEED`. */
    propertySeed: number;
  }
}
