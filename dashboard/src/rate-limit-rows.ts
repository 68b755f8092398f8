// The rate-limit rows editor shared by the key, identity and plan forms: one row per `{name, limit, window}`.
import { html } from "htm/preact";

/** A rate limit as typed into the form: numbers stay text until the form is sent. */
export interface LimitRow {
  name: string;
  limit: string;
  window: string;
}

export const limitRowsOf = (limits: readonly { name: string; limit: number; window: number }[] | undefined): LimitRow[] =>
  (limits ?? []).map((l) => ({ name: l.name, limit: String(l.limit), window: String(l.window) }));

export const limitsOf = (rows: readonly LimitRow[]) =>
  rows.map((row) => ({ name: row.name.trim(), limit: Number(row.limit), window: Number(row.window) }));

interface Props {
  rows: LimitRow[];
  onChange: (rows: LimitRow[]) => void;
  /** The form's element id for a field name, so several forms on one page keep unique ids. */
  id: (name: string) => string;
  nameLabel?: string;
}

/** The rows with their inputs, a Remove button each, and Add rate limit; the caller gives the fieldset and legend. */
export function RateLimitRows({ rows, onChange, id, nameLabel = "Name" }: Props) {
  const setRow = (index: number, patch: Partial<LimitRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  return html`${rows.map(
    (row, index) => html`<div class="limit-row" key=${index}>
        <div class="field">
          <label for=${id(`limit-name-${index}`)}>${nameLabel}</label>
          <input id=${id(`limit-name-${index}`)} required value=${row.name} onInput=${(e: Event) => setRow(index, { name: value(e) })} />
        </div>
        <div class="field">
          <label for=${id(`limit-limit-${index}`)}>Requests</label>
          <input id=${id(`limit-limit-${index}`)} type="number" min="1" required value=${row.limit} onInput=${(e: Event) => setRow(index, { limit: value(e) })} />
        </div>
        <div class="field">
          <label for=${id(`limit-window-${index}`)}>Window (s)</label>
          <input id=${id(`limit-window-${index}`)} type="number" min="1" required value=${row.window} onInput=${(e: Event) => setRow(index, { window: value(e) })} />
        </div>
        <button type="button" class="secondary" aria-label=${`Remove rate limit ${row.name || index + 1}`} onClick=${() => onChange(rows.filter((_, i) => i !== index))}>Remove</button>
      </div>`,
  )}
    <button type="button" class="secondary" onClick=${() => onChange([...rows, { name: "", limit: "", window: "60" }])}>Add rate limit</button>`;
}
