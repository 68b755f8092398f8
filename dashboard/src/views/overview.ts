import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { OutcomeChart } from "../charts";
import type { Granularity } from "../types";
import { ErrorLine, useLoad } from "../ui";
import { overview, topKeys } from "../usage";
import { BillingExportPanel } from "./billing-export";

const TOP_KEYS = 10;

export function OverviewView({ usageAvailable, billingAvailable = false }: { usageAvailable: boolean; billingAvailable?: boolean }) {
  const [granularity, setGranularity] = useState<Granularity>("hour");
  const outcomes = useLoad(async () => (usageAvailable ? overview(granularity) : undefined), [granularity, usageAvailable]);
  const top = useLoad(async () => (usageAvailable ? topKeys(granularity, TOP_KEYS) : undefined), [granularity, usageAvailable]);

  if (!usageAvailable) {
    return html`<h1>Overview</h1>
      <p class="notice" role="status">Usage not available: this gateway does not offer the all-keys usage endpoint (<code>GET /_gateway/admin/usage</code>). Each key's own usage is on its page under <a href="#/keys">Keys</a>.</p>`;
  }
  const refusals = outcomes.data?.refusals.filter((row) => row.total > 0) ?? [];

  return html`<h1>Overview</h1>
    <div class="field inline">
      <label for="overview-granularity">Per</label>
      <select id="overview-granularity" value=${granularity} onChange=${(e: Event) => setGranularity((e.target as HTMLSelectElement).value as Granularity)}>
        <option value="hour">hour, last 24 hours</option>
        <option value="day">day, last 30 days</option>
      </select>
    </div>
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
      <section aria-labelledby="refusals-title">
        <h2 id="refusals-title">Refusals by error code</h2>
        ${
          outcomes.data &&
          (refusals.length === 0
            ? html`<p>No refusals in this span.</p>`
            : html`<table>
                <thead><tr><th scope="col">Code</th><th scope="col" class="number">Requests</th></tr></thead>
                <tbody>${refusals.map((row) => html`<tr><td><a href=${`/_gateway/docs#error-${row.code}`}><code>${row.code}</code></a></td><td class="number">${row.total}</td></tr>`)}</tbody>
              </table>`)
        }
      </section>
    </div>
    ${billingAvailable && html`<${BillingExportPanel} />`}`;
}
