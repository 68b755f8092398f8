// The audit log: every admin write with the key's and operator's names, filtered by key, operator and action.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { AuditAction } from "../../../src/admin/audit";
import { adminApi, withQuery } from "../api";
import type { AuditEntry, Page } from "../types";
import { ErrorLine, formatTime, useLoad } from "../ui";

const PAGE_SIZE = 50;

/** The actions the log records (`AuditAction` in src/admin/audit.ts). */
const AUDIT_ACTIONS: AuditAction[] = [
  "key.create",
  "key.update",
  "key.revoke",
  "key.rotate",
  "key.import",
  "operator.create",
  "operator.revoke",
  "webhook.create",
  "webhook.update",
  "webhook.delete",
  "identity.create",
  "identity.update",
  "identity.delete",
  "plan.create",
  "plan.update",
  "plan.delete",
];

/** Audit entries as a table; shared by the audit log and a key's detail. */
export function AuditTable({ entries, showKey }: { entries: AuditEntry[]; showKey: boolean }) {
  if (entries.length === 0) return html`<p>No entries.</p>`;
  return html`<div class="table-scroll">
    <table class="cards">
      <thead>
        <tr>
          <th scope="col">When</th><th scope="col">Action</th>${showKey && html`<th scope="col">Key</th>`}<th scope="col">Operator</th>
          <th scope="col">Changes</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) => html`<tr>
            <td data-label="When" class="when">${formatTime(entry.at)}</td>
            <td data-label="Action">${entry.action}</td>
            ${showKey && html`<td data-label="Key">${entry.keyId ? html`<a href=${`#/keys/${encodeURIComponent(entry.keyId)}`}>${entry.keyName ?? entry.keyId}</a>` : "—"}</td>`}
            <td data-label="Operator">${entry.actorName ? html`${entry.actorName} <small><code>${entry.actor}</code></small>` : entry.actor}</td>
            <td data-label="Changes">
              <ul class="changes">
                ${Object.entries(entry.changes).map(([field, value]) => html`<li><code>${field}: ${JSON.stringify(value)}</code></li>`)}
              </ul>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function AuditView({ keyId }: { keyId: string }) {
  const [filters, setFilters] = useState({ keyId, actor: "", action: "" });
  const [draft, setDraft] = useState(filters);
  // Cursors of the pages before the one shown, so "Newer" can walk back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () =>
      adminApi<Page<AuditEntry>>(
        "GET",
        withQuery("/audit", { limit: PAGE_SIZE, cursor, keyId: filters.keyId, actor: filters.actor, action: filters.action }),
      ),
    [cursor, filters],
  );
  const apply = (event: Event) => {
    event.preventDefault();
    setFilters({ keyId: draft.keyId.trim(), actor: draft.actor.trim(), action: draft.action });
    setCursors([undefined]);
  };
  const input = (name: "keyId" | "actor" | "action") => (event: Event) =>
    setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value });

  return html`<h1>Audit log</h1>
    <form class="filters" onSubmit=${apply}>
      <div class="field"><label for="audit-key">Key id</label><input id="audit-key" value=${draft.keyId} onInput=${input("keyId")} /></div>
      <div class="field"><label for="audit-actor">Operator</label><input id="audit-actor" placeholder="admin or an operator id" value=${draft.actor} onInput=${input("actor")} /></div>
      <div class="field">
        <label for="audit-action">Action</label>
        <select id="audit-action" value=${draft.action} onChange=${input("action")}>
          <option value="">any</option>
          ${AUDIT_ACTIONS.map((action) => html`<option value=${action}>${action}</option>`)}
        </select>
      </div>
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${page.error} />
    ${page.data && html`<${AuditTable} entries=${page.data.items} showKey=${true} />`}
    <nav class="pager" aria-label="Audit pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
      <span>Page ${cursors.length}</span>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Older</button>
    </nav>`;
}
