// The HTML API reference at /_gateway/docs (Scalar over the OpenAPI document), with the error table every problem's
// `type` links to (docs/dashboard.md § The API reference).
import { html } from "hono/html";
import { ERRORS, type ErrorCode } from "../errors";

/** Inline `code` spans in a help text; every part is escaped by Hono's html helper. */
const prose = (text: string) => text.split("`").map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));

/**
 * The API reference: Scalar renders the OpenAPI document (both scripts are the gateway's own static
 * files), and every error code has its row here, the target of each problem's `type` link.
 */
export function renderDocsPage(title: string) {
  const errors = (Object.keys(ERRORS) as ErrorCode[]).map(
    (code) =>
      html`<tr id="error-${code}"><td><code>${code}</code></td><td>${ERRORS[code].status}</td><td>${ERRORS[code].title}</td><td>${prose(ERRORS[code].help)}</td></tr>`,
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
