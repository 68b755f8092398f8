// Usage of all the customer's keys, or of one, as a chart (the dashboard's uPlot chart).
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { OutcomeChart } from "../../dashboard/src/charts";
import type { Granularity } from "../../dashboard/src/types";
import { ErrorLine, useLoad } from "../../dashboard/src/ui";
import { spanQuery } from "../../dashboard/src/usage";
import { type KeyObject, portalApi, type UsageBucket } from "./api";

function loadUsage(granularity: Granularity, keyId: string): Promise<UsageBucket[]> {
  const params = new URLSearchParams({ ...spanQuery(granularity), ...(keyId && { keyId }) });
  return portalApi<{ buckets: UsageBucket[] }>("GET", `/usage?${params}`).then((answer) => answer.buckets);
}

export function UsageSection({ keys, version }: { keys: KeyObject[]; version: number }) {
  const [granularity, setGranularity] = useState<Granularity>("hour");
  const [keyId, setKeyId] = useState("");
  const usage = useLoad(() => loadUsage(granularity, keyId), [granularity, keyId, version]);
  return html`<section aria-labelledby="usage-title" class="panel">
    <h2 id="usage-title">Usage</h2>
    <div class="filters">
      <div class="field inline">
        <label for="usage-key">Key</label>
        <select id="usage-key" value=${keyId} onChange=${(e: Event) => setKeyId((e.target as HTMLSelectElement).value)}>
          <option value="">All keys</option>
          ${keys.map((key) => html`<option value=${key.id}>${key.name} (${key.start}…)</option>`)}
        </select>
      </div>
      <div class="field inline">
        <label for="usage-granularity">Per</label>
        <select id="usage-granularity" value=${granularity} onChange=${(e: Event) => setGranularity((e.target as HTMLSelectElement).value as Granularity)}>
          <option value="hour">hour, last 24 hours</option>
          <option value="day">day, last 30 days</option>
        </select>
      </div>
    </div>
    <${ErrorLine} error=${usage.error} />
    ${usage.data ? html`<${OutcomeChart} buckets=${usage.data} />` : html`<p>Loading…</p>`}
  </section>`;
}
