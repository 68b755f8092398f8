import { ERRORS, type ErrorCode } from "../errors";

/** The parts of an OpenAPI 3.1 document the reference page shows. */
type Schema = {
  $ref?: string;
  type?: string | string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
};
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Media = { schema?: Schema };
type Operation = {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
};
export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Schema>;
    securitySchemes?: Record<string, { type: string; scheme?: string; in?: string; name?: string; description?: string }>;
  };
}

/** What each error means to a caller: the problem `type` URIs link here. A code without an entry shows its title. */
const ERROR_HELP: Record<ErrorCode, string> = {
  invalid_request: "The request is malformed; `detail` names each bad field (or the unsafe path).",
  missing_key: "No API key (or admin token) was presented where one is required.",
  invalid_key: "The key is malformed, fails its checksum or is not known.",
  invalid_token: "The admin or operator token is wrong, malformed or revoked.",
  expired_key: "The key, or this secret of a rotated key, has passed its expiry.",
  revoked_key: "The key was revoked. Revocation is permanent: create a new key.",
  disabled_key: "The key is disabled; an operator can enable it again.",
  insufficient_scope:
    "The key lacks a scope the route requires, or the operator token a scope the admin call requires; `detail` names them.",
  ip_not_allowed: "The client IP is not in the key's IP allowlist.",
  not_found: "No key (or other admin resource) has that id.",
  no_route: "No configured route matches the path.",
  method_not_allowed: "The route does not allow this method; `Allow` lists those it does.",
  payload_too_large: "The request body exceeds the route's `maxBodyBytes`.",
  rate_limited:
    "A rate limit is exhausted (or too many wrong admin tokens came from this address); retry after `Retry-After` seconds. `RateLimit` names the policy.",
  quota_exceeded: "The key's quota for the UTC day or month (or in total) is used up; `Retry-After` gives the seconds to the period's end.",
  internal_error: "The gateway failed unexpectedly; quote `requestId` when reporting it.",
  upstream_unreachable: "The upstream could not be connected to.",
  limiter_unavailable:
    "The key's Durable Object could not be reached and the route fails closed; or an admin change was stored but not yet enforced (retry it).",
  gateway_misconfigured: "The gateway's configuration is invalid (`detail` names the field) or ADMIN_TOKEN is unset.",
  key_store_unavailable: "D1 could not be reached to verify a key this location has not seen recently; retry shortly.",
  upstream_timeout: "The upstream did not answer within the route's `timeoutMs`.",
};

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

const escapeHtml = (text: unknown) =>
  String(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

/** Inline `code` spans in descriptions, nothing more: the text is otherwise escaped. */
const prose = (text: string | undefined) => (text ? escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>") : "");

const refName = (ref: string) => ref.split("/").pop() ?? ref;
const schemaAnchor = (name: string) => `schema-${name}`;
export const operationAnchor = (method: string, path: string) =>
  `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;

function typeLabel(schema: Schema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return `<a href="#${schemaAnchor(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.enum) return schema.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeLabel).join(" | ");
  if (schema.allOf) return schema.allOf.map(typeLabel).join(" &amp; ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const label = types
    .map((type) => {
      if (type === "array") return `array of ${typeLabel(schema.items)}`;
      if (type === "object" && !schema.properties && schema.additionalProperties) return "object (free-form)";
      return escapeHtml(type) + (schema.format ? ` (${escapeHtml(schema.format)})` : "");
    })
    .join(" | ");
  return label || "any";
}

function constraints(schema: Schema): string {
  const parts: string[] = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    parts.push(`length ${schema.minLength ?? 0}–${schema.maxLength ?? "∞"}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? "−∞"} ≤ value ≤ ${schema.maximum ?? "∞"}`);
  if (schema.pattern) parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (schema.default !== undefined) parts.push(`default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`);
  return parts.join("; ");
}

function propertiesTable(schema: Schema): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return `<p>Type: ${typeLabel(schema)}</p>`;
  const required = new Set(schema.required ?? []);
  const rows = properties
    .map(([name, property]) => {
      const notes = [prose(property.description), constraints(property)].filter(Boolean).join(" ");
      return `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? "" : " <small>optional</small>"}</td><td>${typeLabel(property)}</td><td>${notes}</td></tr>`;
    })
    .join("");
  return `<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderOperation(method: string, path: string, operation: Operation, base: string): string {
  const parts = [
    `<section class="operation" id="${operationAnchor(method, path)}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(base + path)}</code></h3>`,
  ];
  if (operation.summary) parts.push(`<p class="summary">${prose(operation.summary)}</p>`);
  if (operation.description) parts.push(`<p>${prose(operation.description)}</p>`);
  const security = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  parts.push(
    `<p><strong>Auth:</strong> ${security.length ? security.map((s) => `<code>${escapeHtml(s)}</code>`).join(" or ") : "none"}</p>`,
  );
  if (operation.parameters?.length) {
    const rows = operation.parameters
      .map(
        (p) =>
          `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? "" : " <small>optional</small>"}</td><td>${escapeHtml(p.in)}</td><td>${typeLabel(p.schema)}</td><td>${[prose(p.description ?? p.schema?.description), p.schema ? constraints(p.schema) : ""].filter(Boolean).join(" ")}</td></tr>`,
      )
      .join("");
    parts.push(
      `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  }
  for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
    parts.push(`<h4>Request body <small>${escapeHtml(type)}${operation.requestBody?.required ? "" : ", optional"}</small></h4>`);
    parts.push(media.schema?.$ref ? `<p>${typeLabel(media.schema)}</p>` : propertiesTable(media.schema ?? {}));
  }
  const responses = Object.entries(operation.responses ?? {})
    .map(([status, response]) => {
      const bodies = Object.entries(response.content ?? {}).map(
        ([type, media]) => `${typeLabel(media.schema)} <small>${escapeHtml(type)}</small>`,
      );
      return `<tr><td>${escapeHtml(status)}</td><td>${prose(response.description)}</td><td>${bodies.join("<br>")}</td></tr>`;
    })
    .join("");
  parts.push(
    `<h4>Responses</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${responses}</tbody></table>`,
  );
  parts.push("</section>");
  return parts.join("\n");
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem 2rem;color:#1b1f24}
code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.operation{border-top:1px solid #d8dee4;padding-top:.5rem}
.method{font:bold 12px ui-monospace,monospace;padding:.15em .5em;border-radius:3px;color:#fff;background:#57606a}
.get{background:#0969da}.post{background:#1a7f37}.patch{background:#9a6700}.delete{background:#cf222e}
nav ul{columns:2}small{color:#57606a}:target{background:#fff8c5}`;

/** The API reference as one self-contained HTML page: no scripts, no CDN, works offline. */
export function renderDocsPage(document: ApiDocument): string {
  const base = document.servers?.[0]?.url ?? "";
  const byTag = new Map<string, string[]>();
  const toc: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, operation, base)]);
      toc.push(
        `<li><a href="#${operationAnchor(method, path)}">${method.toUpperCase()} ${escapeHtml(base + path)}</a> ${prose(operation.summary)}</li>`,
      );
    }
  }
  const schemes = Object.entries(document.components?.securitySchemes ?? {})
    .map(
      ([name, scheme]) =>
        `<li><code>${escapeHtml(name)}</code>: ${escapeHtml(scheme.type)}${scheme.scheme ? ` ${escapeHtml(scheme.scheme)}` : ""}${scheme.name ? ` in ${escapeHtml(scheme.in)} <code>${escapeHtml(scheme.name)}</code>` : ""}${scheme.description ? ` — ${prose(scheme.description)}` : ""}</li>`,
    )
    .join("");
  const schemas = Object.entries(document.components?.schemas ?? {})
    .map(
      ([name, schema]) =>
        `<section id="${schemaAnchor(name)}"><h3>${escapeHtml(name)}</h3>${schema.description ? `<p>${prose(schema.description)}</p>` : ""}${propertiesTable(schema)}</section>`,
    )
    .join("\n");
  const errors = (Object.keys(ERRORS) as ErrorCode[])
    .map(
      (code) =>
        `<tr id="error-${code}"><td><code>${code}</code></td><td>${ERRORS[code].status}</td><td>${escapeHtml(ERRORS[code].title)}</td><td>${prose(ERROR_HELP[code])}</td></tr>`,
    )
    .join("");

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(document.info.title)} — API reference</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
${document.info.description ? `<p>${prose(document.info.description)}</p>` : ""}
<p>Machine-readable: <a href="${escapeHtml(base)}/openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(document.openapi)}).</p>
<nav><h2>Endpoints</h2><ul>${toc.join("")}</ul><p><a href="#schemas">Schemas</a> · <a href="#errors">Errors</a></p></nav>
<h2 id="authentication">Authentication</h2><ul>${schemes}</ul>
${[...byTag].map(([tag, operations]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>\n${operations.join("\n")}`).join("\n")}
<h2 id="schemas">Schemas</h2>
${schemas}
<h2 id="errors">Errors</h2>
<p>Every error is <code>application/problem+json</code>: <code>{ type, title, status, detail, code, requestId }</code>; <code>type</code> links to the row below. A 5xx never carries an exception message.</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th><th>meaning</th></tr></thead><tbody>${errors}</tbody></table>
</body></html>`;
}
