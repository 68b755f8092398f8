// The overview: all keys' requests by outcome as bars over a preset or custom span, the busiest keys and
// routes, and refusals by code; all from GET /admin/usage.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { OutcomeChart } from "../charts";
import type { Granularity } from "../types";
import { ErrorLine, useLoad } from "../ui";
import { byRoute, overview, type Span, spanQuery, topKeys } from "../usage";
import { BillingExportPanel } from "./billing-export";

const TOP_KEYS = 10;
const TOP_ROUTES = 10;

type Range = Granularity | "custom";

/** A `datetime-local` value (UTC here, as the buckets are) from an ISO time, and back. */
const toInput = (iso: string) => iso.slice(0, 16);
const fromInput = (value: string) => (value ? new Date(`${value}:00Z`).toISOString() : "");

/** The span the controls describe; a custom span takes days when it is longer than two days. */
function spanOf(range: Range, from: string, to: string): Span | undefined {
  if (range !== "custom") return spanQuery(range);
  const start = fromInput(from);
  const end = fromInput(to);
  if (!start || !end || start >= end) return undefined;
  return { granularity: Date.parse(end) - Date.parse(start) > 2 * 86_400_000 ? "day" : "hour", from: start, to: end };
}

export function OverviewView({ usageAvailable, billingAvailable = false }: { usageAvailable: boolean; billingAvailable?: boolean }) {
  const [range, setRange] = useState<Range>("hour");
  const [from, setFrom] = useState(() => toInput(spanQuery("day").from));
  const [to, setTo] = useState(() => toInput(new Date().toISOString()));
  const [span, setSpan] = useState<Span | undefined>(() => spanQuery("hour"));
  const key = JSON.stringify(span);
  const outcomes = useLoad(async () => (usageAvailable && span ? overview(span) : undefined), [key, usageAvailable]);
  const top = useLoad(async () => (usageAvailable && span ? topKeys(span, TOP_KEYS) : undefined), [key, usageAvailable]);
  const routes = useLoad(async () => (usageAvailable && span ? byRoute(span, TOP_ROUTES) : undefined), [key, usageAvailable]);
  const choose = (next: Range, nextFrom = from, nextTo = to) => {
    setRange(next);
    setSpan(spanOf(next, nextFrom, nextTo));
  };

  if (!usageAvailable) {
    return html`<h1>Overview</h1>
      <p class="notice" role="status">Usage not available: this gateway does not offer the all-keys usage endpoint (<code>GET /_gateway/admin/usage</code>). Each key's own usage is on its page under <a href="#/keys">Keys</a>.</p>`;
  }
  const refusals = outcomes.data?.refusals.filter((row) => row.total > 0) ?? [];

  return html`<h1>Overview</h1>
    <div class="filters">
      <div class="field">
        <label for="overview-granularity">Span</label>
        <select id="overview-granularity" value=${range} onChange=${(e: Event) => choose((e.target as HTMLSelectElement).value as Range)}>
          <option value="hour">per hour, last 24 hours</option>
          <option value="day">per day, last 30 days</option>
          <option value="custom">custom (UTC)</option>
        </select>
      </div>
      ${
        range === "custom" &&
        html`<div class="field">
            <label for="overview-from">From (UTC)</label>
            <input id="overview-from" type="datetime-local" value=${from} onInput=${(e: Event) => {
              const value = (e.target as HTMLInputElement).value;
              setFrom(value);
              choose("custom", value, to);
            }} />
          </div>
          <div class="field">
            <label for="overview-to">To (UTC)</label>
            <input id="overview-to" type="datetime-local" value=${to} onInput=${(e: Event) => {
              const value = (e.target as HTMLInputElement).value;
              setTo(value);
              choose("custom", from, value);
            }} />
          </div>`
      }
    </div>
    ${range === "custom" && !span && html`<p class="error" role="alert">Choose a start before the end.</p>`}
    ${range === "custom" && span && html`<p class="hint">Per ${span.granularity}; longer than two days is shown by day.</p>`}
    <section aria-labelledby="outcomes-title">
      <h2 id="outcomes-title">Requests by outcome, all keys</h2>
      <${ErrorLine} error=${outcomes.error} />
      ${outcomes.data && html`<${OutcomeChart} buckets=${outcomes.data.buckets} />`}
    </section>
    <div class="columns">
      <section aria-labelledby="top-title">
        <h2 id="top-title">Top keys</h2>
        <${ErrorLine} error=${top.error} />
        ${
          top.data &&
          (top.data.length === 0
            ? html`<p>No traffic in this span.</p>`
            : html`<table>
                <thead><tr><th scope="col">Key</th><th scope="col" class="number">Requests</th></tr></thead>
                <tbody>${top.data.map((row) => html`<tr><td><a href=${`#/keys/${encodeURIComponent(row.keyId)}`}>${row.name}</a></td><td class="number">${row.total}</td></tr>`)}</tbody>
              </table>`)
        }
      </section>
      <section aria-labelledby="routes-title">
        <h2 id="routes-title">Requests by route</h2>
        <${ErrorLine} error=${routes.error} />
        ${
          routes.data &&
          (routes.data.length === 0
            ? html`<p>No traffic in this span.</p>`
            : html`<table>
                <thead><tr><th scope="col">Route</th><th scope="col" class="number">Allowed</th><th scope="col" class="number">Rate limited</th><th scope="col" class="number">Quota exceeded</th><th scope="col" class="number"><abbr title="Unauthorized: refused with 401 for a missing or refused key">401s</abbr></th></tr></thead>
                <tbody>${routes.data.map((row) => html`<tr><td><code>${row.route}</code></td><td class="number">${row.total.allowed}</td><td class="number">${row.total.rateLimited}</td><td class="number">${row.total.quotaExceeded}</td><td class="number">${row.total.unauthorized ?? "—"}</td></tr>`)}</tbody>
              </table>`)
        }
      </section>
      <section aria-labelledby="refusals-title">
        <h2 id="refusals-title">Refusals by error code</h2>
        ${
          outcomes.data &&
          (refusals.length === 0
            ? html`<p>No refusals in this span.</p>`
            : html`<table>
                <thead><tr><th scope="col">Code</th><th scope="col" class="number">Requests</th></tr></thead>
                <tbody>${refusals.map((row) => html`<tr><td>${refusalLabel(row.code)}</td><td class="number">${row.total}</td></tr>`)}</tbody>
              </table>`)
        }
      </section>
    </div>
    ${billingAvailable && html`<${BillingExportPanel} />`}`;
}

/** A refusal's code linked to its explanation; the 401s, counted together, to the first 401 code's. */
function refusalLabel(code: string) {
  if (code !== "unauthorized") return html`<a href=${`/_gateway/docs#error-${code}`}><code>${code}</code></a>`;
  return html`<a href="/_gateway/docs#error-missing_key"><code>unauthorized</code></a> (401)`;
}
