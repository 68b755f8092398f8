import { html } from "hono/html";
import { ERRORS, type ErrorCode } from "../errors";

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

/** Inline `code` spans in a help text; every part is escaped by Hono's html helper. */
const prose = (text: string) => text.split("`").map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));

/**
 * The API reference: Scalar renders the OpenAPI document (both scripts are the gateway's own static
 * files), and every error code has its row here, the target of each problem's `type` link.
 */
export function renderDocsPage(title: string) {
  const errors = (Object.keys(ERRORS) as ErrorCode[]).map(
    (code) =>
      html`<tr id="error-${code}"><td><code>${code}</code></td><td>${ERRORS[code].status}</td><td>${ERRORS[code].title}</td><td>${prose(ERROR_HELP[code])}</td></tr>`,
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} — API reference</title><link rel="stylesheet" href="/_gateway/docs/reference.css"></head>
<body>
<noscript><p>The interactive reference needs JavaScript; the document it renders is <a href="/_gateway/openapi.json">openapi.json</a>.</p></noscript>
<div id="reference"></div>
<section id="errors" aria-labelledby="errors-title">
<h2 id="errors-title">Errors</h2>
<p>Every error is <code>application/problem+json</code>: <code>{ type, title, status, detail, code, requestId }</code>; <code>type</code> links to the code's row below. A 5xx never carries an exception message.</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th><th>meaning</th></tr></thead><tbody>${errors}</tbody></table>
</section>
<script type="module" src="/_gateway/docs/reference.js"></script>
</body></html>`;
}
