// Every field the admin API takes for a key, for creating one and for editing one.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { type LimitRow, limitRowsOf, limitsOf, RateLimitRows } from "../rate-limit-rows";
import type { KeyObject } from "../types";
import { ErrorLine } from "../ui";

export interface FormState {
  name: string;
  owner: string;
  prefix: string;
  scopes: string;
  expiresAt: string;
  rateLimits: LimitRow[];
  quotaLimit: string;
  quotaPeriod: "day" | "month" | "total";
  ipAllowlist: string;
  metadata: string;
  enabled: boolean;
}

/** An ISO instant as the value of a datetime-local input (the reader's local time). */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromKey(key: KeyObject | undefined): FormState {
  return {
    name: key?.name ?? "",
    owner: key?.owner ?? "",
    prefix: "",
    scopes: key?.scopes.join(" ") ?? "",
    expiresAt: toLocalInput(key?.expiresAt ?? null),
    rateLimits: limitRowsOf(key?.rateLimits),
    quotaLimit: key?.quota ? String(key.quota.limit) : "",
    quotaPeriod: key?.quota?.period ?? "month",
    ipAllowlist: key?.ipAllowlist.join("\n") ?? "",
    metadata: key && Object.keys(key.metadata).length > 0 ? JSON.stringify(key.metadata, null, 2) : "",
    enabled: key?.enabled ?? true,
  };
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** The request body the form describes; optional fields left empty are null (cleared). */
function toBody(state: FormState): Record<string, unknown> {
  let metadata: unknown = {};
  if (state.metadata.trim()) {
    try {
      metadata = JSON.parse(state.metadata);
    } catch {
      throw new Error("metadata: must be a JSON object");
    }
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new Error("metadata: must be a JSON object");
  }
  return {
    name: state.name.trim(),
    owner: state.owner.trim() || null,
    scopes: words(state.scopes),
    expiresAt: state.expiresAt ? new Date(state.expiresAt).toISOString() : null,
    rateLimits: limitsOf(state.rateLimits),
    quota: state.quotaLimit ? { limit: Number(state.quotaLimit), period: state.quotaPeriod } : null,
    ipAllowlist: words(state.ipAllowlist),
    metadata,
    enabled: state.enabled,
  };
}

/** A create body: empty optional fields are left out, the prefix only when given. */
export function createBody(state: FormState): Record<string, unknown> {
  const body = Object.fromEntries(Object.entries(toBody(state)).filter(([, value]) => value !== null));
  return state.prefix.trim() ? { ...body, prefix: state.prefix.trim() } : body;
}

/** An update body: only the fields that differ from the key as loaded. */
export function updateBody(state: FormState, key: KeyObject): Record<string, unknown> {
  const before = toBody(fromKey(key));
  return Object.fromEntries(
    Object.entries(toBody(state)).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])),
  );
}

export function KeyForm({
  original,
  submitLabel,
  onSubmit,
}: {
  original?: KeyObject;
  submitLabel: string;
  onSubmit: (state: FormState) => Promise<void>;
}) {
  const [state, setState] = useState(() => fromKey(original));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<FormState>) => setState((current) => ({ ...current, ...patch }));
  const text = (name: keyof FormState) => (event: Event) => set({ [name]: (event.target as HTMLInputElement).value });
  const id = (name: string) => `${original ? "edit" : "create"}-${name}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await onSubmit(state);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="key-form" onSubmit=${submit}>
    <div class="field">
      <label for=${id("name")}>Name</label>
      <input id=${id("name")} required maxlength="200" value=${state.name} onInput=${text("name")} />
    </div>
    <div class="field">
      <label for=${id("owner")}>Owner <small>optional: a user or app id</small></label>
      <input id=${id("owner")} maxlength="200" value=${state.owner} onInput=${text("owner")} />
    </div>
    ${
      !original &&
      html`<div class="field">
        <label for=${id("prefix")}>Prefix <small>optional, e.g. gk_test; default from config</small></label>
        <input id=${id("prefix")} pattern="[a-z][a-z0-9_]{0,15}" value=${state.prefix} onInput=${text("prefix")} />
      </div>`
    }
    <div class="field">
      <label for=${id("scopes")}>Scopes <small>separated by spaces or commas</small></label>
      <input id=${id("scopes")} value=${state.scopes} onInput=${text("scopes")} />
    </div>
    <div class="field">
      <label for=${id("expires")}>Expires <small>your local time; empty: never</small></label>
      <input id=${id("expires")} type="datetime-local" value=${state.expiresAt} onInput=${text("expiresAt")} />
    </div>
    <fieldset>
      <legend>Rate limits</legend>
      <${RateLimitRows} rows=${state.rateLimits} onChange=${(rateLimits: LimitRow[]) => set({ rateLimits })} id=${id} />
    </fieldset>
    <fieldset>
      <legend>Quota</legend>
      <div class="limit-row">
        <div class="field">
          <label for=${id("quota-limit")}>Requests <small>empty: no quota</small></label>
          <input id=${id("quota-limit")} type="number" min="1" value=${state.quotaLimit} onInput=${text("quotaLimit")} />
        </div>
        <div class="field">
          <label for=${id("quota-period")}>Per</label>
          <select id=${id("quota-period")} value=${state.quotaPeriod} onChange=${text("quotaPeriod")}>
            <option value="day">UTC day</option>
            <option value="month">UTC month</option>
            <option value="total">in total</option>
          </select>
        </div>
      </div>
    </fieldset>
    <div class="field">
      <label for=${id("ips")}>IP allowlist <small>one address or CIDR per line; empty: any</small></label>
      <textarea id=${id("ips")} rows="3" value=${state.ipAllowlist} onInput=${text("ipAllowlist")}></textarea>
    </div>
    <div class="field">
      <label for=${id("metadata")}>Metadata <small>a JSON object, at most 4 KiB</small></label>
      <textarea id=${id("metadata")} rows="4" class="mono" value=${state.metadata} onInput=${text("metadata")}></textarea>
    </div>
    <div class="field checkbox">
      <input id=${id("enabled")} type="checkbox" checked=${state.enabled} onChange=${(e: Event) => set({ enabled: (e.target as HTMLInputElement).checked })} />
      <label for=${id("enabled")}>Enabled</label>
    </div>
    <${ErrorLine} error=${error} />
    <button type="submit" disabled=${busy}>${submitLabel}</button>
  </form>`;
}
