// The API reference page's script: loads Scalar's standalone bundle (a static file of the gateway's
// own) and renders the gateway's OpenAPI document with it. Nothing may leave for another origin.
import "./reference.css";

declare const Scalar: { createApiReference(selector: string, configuration: Record<string, unknown>): unknown };

function mount() {
  Scalar.createApiReference("#reference", {
    url: "/_gateway/openapi.json",
    withDefaultFonts: false, // they would come from Scalar's servers
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    documentDownloadType: "json",
    // A problem's `type` links to its code's row in the errors section below the reference.
    onLoaded: () => {
      if (location.hash.startsWith("#error-")) document.getElementById(location.hash.slice(1))?.scrollIntoView();
    },
  });
}

// zod inside Scalar probes for eval with Function(""); this page's CSP refuses that and the browser
// logs the refusal as an error, so zod is told up front to run without it.
(globalThis as { __zod_globalConfig?: object }).__zod_globalConfig = { jitless: true };
const scalar = document.createElement("script");
scalar.src = "/_gateway/docs/scalar.js";
scalar.addEventListener("load", mount);
document.head.append(scalar);
