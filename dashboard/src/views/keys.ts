// Keys (docs/dashboard.md § Views): 100 a page, searched and filtered by status on the server, each with a 24-hour
// sparkline from one all-keys usage call per page.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { adminApi, withQuery } from "../api";
import { Sparkline } from "../charts";
import { type KeyObject, type KeyStatus, keyStatus, type Page } from "../types";
import { CopyButton, ErrorLine, formatRelative, formatTime, useLoad } from "../ui";
import { type KeySeries, keysUsage } from "../usage";

const PAGE_SIZE = 100;
const STATUSES: (KeyStatus | "all")[] = ["all", "active", "disabled", "expired", "revoked"];

/** How long typing may pause before the search goes to the server. */
const SEARCH_DELAY_MS = 250;

interface KeyPage {
  items: KeyObject[];
  nextCursor: string | null;
  /** The page's keys' last 24 hours, from one usage call for the whole page. */
  usage: Map<string, KeySeries> | undefined;
  usageError: string;
}

/** One page of keys, searched and filtered by status on the server (`GET /keys?q=&status=`), so every page is full. */
async function loadPage(cursor: string | undefined, status: KeyStatus | "all", search: string, usageAvailable: boolean): Promise<KeyPage> {
  const page: Page<KeyObject> = await adminApi(
    "GET",
    withQuery("/keys", { limit: PAGE_SIZE, cursor, status: status === "all" ? undefined : status, q: search }),
  );
  if (!usageAvailable) return { ...page, usage: undefined, usageError: "" };
  try {
    return { ...page, usage: await keysUsage(page.items.map((key) => key.id)), usageError: "" };
  } catch (failure) {
    return { ...page, usage: undefined, usageError: `Usage: ${(failure as Error).message}` };
  }
}

export function KeysView({ usageAvailable }: { usageAvailable: boolean }) {
  const [query, setQuery] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query]);
  const [status, setStatus] = useState<KeyStatus | "all">("all");
  const [more, setMore] = useState<KeyPage[]>([]);
  const [moreError, setMoreError] = useState("");
  const first = useLoad(() => {
    setMore([]);
    return loadPage(undefined, status, search, usageAvailable);
  }, [usageAvailable, status, search]);
  const pages = first.data ? [first.data, ...more] : [];
  const last = pages[pages.length - 1];
  const items = pages.flatMap((page) => page.items);
  const usage = new Map(pages.flatMap((page) => [...(page.usage ?? [])]));
  const usageError = pages.find((page) => page.usageError)?.usageError ?? "";

  const loadMore = async () => {
    setMoreError("");
    try {
      const page = await loadPage(last?.nextCursor ?? undefined, status, search, usageAvailable);
      setMore([...more, page]);
    } catch (failure) {
      setMoreError((failure as Error).message);
    }
  };

  return html`<h1>Keys</h1>
    <div class="filters" role="search">
      <div class="field">
        <label for="key-search">Search name, owner, id or start</label>
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
    <${ErrorLine} error=${first.error || moreError} />
    ${!usageAvailable && html`<p class="hint">Usage not available: this gateway has no all-keys usage endpoint, so rows show no sparkline.</p>`}
    <${ErrorLine} error=${usageError} />
    ${last && html`<p role="status">${items.length} keys${last.nextCursor ? " loaded; more to load" : ""}</p>`}
    <div class="table-scroll">
      <table class="keys cards">
        <thead>
          <tr>
            <th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Start</th><th scope="col">Status</th>
            <th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Last 24 h</th>
          </tr>
        </thead>
        <tbody>
          ${items.map((key) => {
            const series = usage.get(key.id);
            const total = series ? series.values.reduce((sum, v) => sum + v, 0) : undefined;
            return html`<tr key=${key.id} data-key-id=${key.id}>
              <td data-label="Name">
                <span class="with-copy"><a href=${`#/keys/${encodeURIComponent(key.id)}`}>${key.name}</a> <${CopyButton} text=${key.id} label=${`Copy the id of ${key.name}`} /></span>
              </td>
              <td data-label="Owner">${key.owner ?? "—"}</td>
              <td data-label="Start"><code>${key.start}…</code></td>
              <td data-label="Status"><span class=${`status ${keyStatus(key)}`}>${keyStatus(key)}</span></td>
              <td data-label="Created">${formatTime(key.createdAt)}</td>
              <td data-label="Expires">${formatTime(key.expiresAt)}</td>
              <td data-label="Last used">${formatRelative(key.lastUsedAt)}</td>
              <td data-label="Last 24 h">
                ${
                  usageAvailable
                    ? html`<div class="usage">
                        <${Sparkline} times=${series?.times ?? []} values=${series?.values ?? []} label=${`${total ?? 0} requests in the last 24 hours`} />
                        <span class="count">${total ?? 0}</span>
                      </div>`
                    : "—"
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    ${
      last &&
      items.length === 0 &&
      html`<p class="notice">${
        status === "all" && !search ? html`No keys yet. <a href="#/keys/new">Create the first one</a>.` : "No keys match these filters."
      }</p>`
    }
    ${last?.nextCursor && html`<button type="button" class="secondary" onClick=${loadMore}>Load more keys</button>`}`;
}
