import { html } from "htm/preact";
import { useMemo, useState } from "preact/hooks";
import { adminApi, withQuery } from "../api";
import { Sparkline } from "../charts";
import { type KeyObject, type KeyStatus, keyStatus, type Page } from "../types";
import { ErrorLine, formatRelative, useLoad } from "../ui";
import { type KeySeries, keysUsage } from "../usage";

const PAGE_SIZE = 100;
const STATUSES: (KeyStatus | "all")[] = ["all", "active", "disabled", "expired", "revoked"];

function matches(key: KeyObject, query: string): boolean {
  const needle = query.trim().toLowerCase();
  return !needle || [key.name, key.owner ?? "", key.start, key.id].some((field) => field.toLowerCase().includes(needle));
}

export function KeysView({ usageAvailable }: { usageAvailable: boolean }) {
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<KeyStatus | "all">("all");
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const loaded = useLoad(async () => {
    const items: KeyObject[] = [];
    let nextCursor: string | null = null;
    for (const cursor of pages) {
      const page: Page<KeyObject> = await adminApi("GET", withQuery("/keys", { limit: PAGE_SIZE, cursor }));
      items.push(...page.items);
      nextCursor = page.nextCursor;
    }
    return { items, nextCursor };
  }, [pages]);
  // One usage call for the whole page, never one per key.
  const usage = useLoad<Map<string, KeySeries> | undefined>(
    () => (usageAvailable ? keysUsage() : Promise.resolve(undefined)),
    [usageAvailable],
  );

  const shown = useMemo(
    () => (loaded.data?.items ?? []).filter((key) => matches(key, query) && (status === "all" || keyStatus(key) === status)),
    [loaded.data, query, status],
  );

  return html`<h1>Keys</h1>
    <div class="filters" role="search">
      <div class="field">
        <label for="key-search">Search name, owner or start</label>
        <input id="key-search" type="search" value=${query} onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="key-status">Status</label>
        <select id="key-status" value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value as KeyStatus | "all")}>
          ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </div>
      <a class="button" href="#/keys/new">Create key</a>
    </div>
    <${ErrorLine} error=${loaded.error} />
    ${!usageAvailable && html`<p class="hint">Usage not available: this gateway has no all-keys usage endpoint, so rows show no sparkline.</p>`}
    <${ErrorLine} error=${usage.error && `Usage: ${usage.error}`} />
    ${loaded.data && html`<p role="status">${shown.length} of ${loaded.data.items.length} keys${loaded.data.nextCursor ? " loaded" : ""}</p>`}
    <div class="table-scroll">
      <table class="keys cards">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Start</th><th scope="col">Status</th>
            <th scope="col">Last used</th><th scope="col">Last 24 h</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map((key) => {
            const series = usage.data?.get(key.id);
            const total = series ? series.values.reduce((sum, v) => sum + v, 0) : undefined;
            return html`<tr key=${key.id} data-key-id=${key.id}>
              <td data-label="Name"><a href=${`#/keys/${encodeURIComponent(key.id)}`}>${key.name}</a></td>
              <td data-label="Owner">${key.owner ?? "—"}</td>
              <td data-label="Start"><code>${key.start}…</code></td>
              <td data-label="Status"><span class=${`status ${keyStatus(key)}`}>${keyStatus(key)}</span></td>
              <td data-label="Last used">${formatRelative(key.lastUsedAt)}</td>
              <td data-label="Last 24 h" class="usage-cell">
                ${
                  usageAvailable
                    ? html`<${Sparkline} times=${series?.times ?? []} values=${series?.values ?? []} label=${`${total ?? 0} requests in the last 24 hours`} />
                        <span class="count">${total ?? 0}</span>`
                    : "—"
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    ${
      loaded.data?.nextCursor &&
      html`<button type="button" class="secondary" onClick=${() => setPages([...pages, loaded.data?.nextCursor ?? undefined])}>Load more keys</button>`
    }`;
}
