// The dashboard's key list: searched, filtered by status and sorted on the server (column headers or
// the Sort select), a page at a time, each row with its last 24 hours of usage (docs/dashboard.md).
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { adminApi, withQuery } from "../api";
import { Sparkline } from "../charts";
import { type KeyObject, type KeyStatus, keyStatus, type Page } from "../types";
import { CopyButton, ErrorLine, formatRelative, formatTime, useLoad } from "../ui";
import { type KeySeries, keysUsage } from "../usage";

const PAGE_SIZE = 100;
const STATUSES: (KeyStatus | "all")[] = ["all", "active", "disabled", "expired", "revoked"];

/** The orders the list offers (the server's `sort`); a leading `-` is descending. */
type SortField = "createdAt" | "name" | "expiresAt" | "lastUsedAt";
type KeySort = SortField | `-${SortField}`;
const SORT_CHOICES: [KeySort, string][] = [
  ["-createdAt", "Newest first"],
  ["createdAt", "Oldest first"],
  ["name", "Name A–Z"],
  ["-name", "Name Z–A"],
  ["expiresAt", "Expiring soonest"],
  ["-expiresAt", "Expiring latest"],
  ["-lastUsedAt", "Used most recently"],
  ["lastUsedAt", "Used least recently"],
];
/** The first click on a header sorts this way: names A–Z, times newest first (expiry: soonest). */
const FIRST_DIRECTION: Record<SortField, KeySort> = {
  name: "name",
  createdAt: "-createdAt",
  expiresAt: "expiresAt",
  lastUsedAt: "-lastUsedAt",
};

/** How long typing may pause before the search goes to the server. */
const SEARCH_DELAY_MS = 250;

interface KeyPage {
  items: KeyObject[];
  nextCursor: string | null;
  /** The page's keys' last 24 hours, from one usage call for the whole page. */
  usage: Map<string, KeySeries> | undefined;
  usageError: string;
}

interface KeyFilters {
  status: KeyStatus | "all";
  search: string;
  sort: KeySort;
}

/** One page of keys, searched, filtered and sorted on the server (`GET /keys?q=&status=&sort=`), so every page is full. */
async function loadPage(cursor: string | undefined, filters: KeyFilters, usageAvailable: boolean): Promise<KeyPage> {
  const { status, search, sort } = filters;
  const page: Page<KeyObject> = await adminApi(
    "GET",
    withQuery("/keys", { limit: PAGE_SIZE, cursor, status: status === "all" ? undefined : status, q: search, sort }),
  );
  if (!usageAvailable) return { ...page, usage: undefined, usageError: "" };
  try {
    return { ...page, usage: await keysUsage(page.items.map((key) => key.id)), usageError: "" };
  } catch (failure) {
    return { ...page, usage: undefined, usageError: `Usage: ${(failure as Error).message}` };
  }
}

/** A column header that sorts the list on the server: a first click in the field's usual direction, the next reverses it. */
function SortHeader({ field, label, sort, onSort }: { field: SortField; label: string; sort: KeySort; onSort: (sort: KeySort) => void }) {
  const direction = sort === field ? "ascending" : sort === `-${field}` ? "descending" : "none";
  const next: KeySort = direction === "none" ? FIRST_DIRECTION[field] : direction === "ascending" ? `-${field}` : field;
  return html`<th scope="col" aria-sort=${direction}>
    <button type="button" class="sort" onClick=${() => onSort(next)}>
      ${label}<span class="sort-mark" aria-hidden="true">${direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : ""}</span>
    </button>
  </th>`;
}

export function KeysView({ usageAvailable }: { usageAvailable: boolean }) {
  const [query, setQuery] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query]);
  const [status, setStatus] = useState<KeyStatus | "all">("all");
  const [sort, setSort] = useState<KeySort>("-createdAt");
  const [more, setMore] = useState<KeyPage[]>([]);
  const [moreError, setMoreError] = useState("");
  const filters: KeyFilters = { status, search, sort };
  const first = useLoad(() => {
    setMore([]);
    return loadPage(undefined, filters, usageAvailable);
  }, [usageAvailable, status, search, sort]);
  const pages = first.data ? [first.data, ...more] : [];
  const last = pages[pages.length - 1];
  const items = pages.flatMap((page) => page.items);
  const usage = new Map(pages.flatMap((page) => [...(page.usage ?? [])]));
  const usageError = pages.find((page) => page.usageError)?.usageError ?? "";

  const loadMore = async () => {
    setMoreError("");
    try {
      const page = await loadPage(last?.nextCursor ?? undefined, filters, usageAvailable);
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
      <div class="field">
        <label for="key-sort">Sort</label>
        <select id="key-sort" value=${sort} onChange=${(e: Event) => setSort((e.target as HTMLSelectElement).value as KeySort)}>
          ${SORT_CHOICES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
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
            <${SortHeader} field="name" label="Name" sort=${sort} onSort=${setSort} />
            <th scope="col">Owner</th><th scope="col">Start</th><th scope="col">Status</th>
            <${SortHeader} field="createdAt" label="Created" sort=${sort} onSort=${setSort} />
            <${SortHeader} field="expiresAt" label="Expires" sort=${sort} onSort=${setSort} />
            <${SortHeader} field="lastUsedAt" label="Last used" sort=${sort} onSort=${setSort} />
            <th scope="col">Last 24 h</th>
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
