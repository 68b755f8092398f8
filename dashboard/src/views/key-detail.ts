// One key's page (docs/dashboard.md § Views): its fields, limits and quota with what is left of them, its usage chart,
// edit, disable, rotate (the new secret shown once) or revoke, and its audit entries.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { adminApi, withQuery } from "../api";
import { OutcomeChart } from "../charts";
import { type AuditEntry, type CreatedKey, type Granularity, type IdentityObject, type KeyObject, keyStatus, type Page } from "../types";
import { CopyButton, ErrorLine, formatRelative, formatTime, RevealDialog, useLoad } from "../ui";
import { keyUsage } from "../usage";
import { AuditTable } from "./audit";
import { type FormState, KeyForm, updateBody } from "./key-form";

const keyPath = (id: string) => `/keys/${encodeURIComponent(id)}`;

/** What is left of the key's limits and quota now, from its Durable Object (spends nothing). */
interface KeyLimits {
  state: string;
  rateLimits: { name: string; limit: number; window: number; remaining: number; reset: number }[];
  quota: { limit: number; period: string; used: number; remaining: number; reset: number | null } | null;
}

const loadLimits = (key: KeyObject) => adminApi<KeyLimits>("GET", `${keyPath(key.id)}/limits`);

type RateLimit = KeyObject["rateLimits"][number];
type Quota = NonNullable<KeyObject["quota"]>;

/** One holder's limits (the key's, or its identity's, whose live states are named `identity.<name>`). */
function LimitList({ limits, live, prefix }: { limits: RateLimit[]; live: KeyLimits | undefined; prefix: string }) {
  const left = (name: string) => live?.rateLimits.find((state) => state.name === `${prefix}${name}`);
  return html`<ul>${limits.map((limit) => {
    const state = left(limit.name);
    return html`<li><strong>${limit.name}</strong>: ${limit.limit} requests per ${limit.window} s${
      state ? html` — <span class="remaining">${state.remaining} left</span>, next back in ${state.reset} s` : ""
    }</li>`;
  })}</ul>`;
}

/** A quota and its use. The key's object reports only the quota nearest exhaustion: another shows its use once it is that one. */
function QuotaMeter({ id, label, quota, live }: { id: string; label: string; quota: Quota; live: KeyLimits | undefined }) {
  const counted = live?.quota && live.quota.limit === quota.limit && live.quota.period === quota.period ? live.quota.used : undefined;
  const period = quota.period === "total" ? "in total" : `this UTC ${quota.period}`;
  // A refused key (revoked, disabled, expired) is not counted: there is nothing to wait for.
  const text =
    counted !== undefined || live === undefined
      ? `${counted ?? "…"} of ${quota.limit} used (${period})`
      : live.state !== "allowed"
        ? `${quota.limit} (${period}); not counted while the key is refused`
        : `${quota.limit} (${period}); its use shows when it is the quota nearest its end`;
  return html`<div class="quota">
    <label for=${id}>${label}: ${text}</label>
    <meter id=${id} min="0" max=${quota.limit} low=${quota.limit * 0.8} high=${quota.limit * 0.95} optimum="0" value=${counted ?? 0}></meter>
  </div>`;
}

function Limits({
  apiKey,
  identity,
  live,
  error,
}: {
  apiKey: KeyObject;
  identity: IdentityObject | undefined;
  live: KeyLimits | undefined;
  error: string;
}) {
  return html`<section aria-labelledby="limits-title">
    <h2 id="limits-title">Limits</h2>
    <${ErrorLine} error=${error} />
    ${live && live.state !== "allowed" && html`<p>Requests with this key are refused now (<code>${live.state}</code>): nothing is counted.</p>`}
    ${
      apiKey.rateLimits.length === 0
        ? html`<p>No rate limits of its own (routes may add theirs).</p>`
        : html`<${LimitList} limits=${apiKey.rateLimits} live=${live} prefix="" />`
    }
    ${apiKey.quota ? html`<${QuotaMeter} id="quota-meter" label="Quota" quota=${apiKey.quota} live=${live} />` : html`<p>No quota of its own.</p>`}
    ${
      identity &&
      html`<h3>Shared with its identity, ${identity.name ?? identity.externalId} (<code>${identity.id}</code>)</h3>
        ${
          identity.rateLimits.length === 0
            ? html`<p>The identity sets no rate limits.</p>`
            : html`<${LimitList} limits=${identity.rateLimits} live=${live} prefix="identity." />`
        }
        ${
          identity.quota
            ? html`<${QuotaMeter} id="identity-quota-meter" label="Identity quota" quota=${identity.quota} live=${live} />`
            : html`<p>The identity sets no quota.</p>`
        }`
    }
  </section>`;
}

function Actions({ apiKey, onChanged }: { apiKey: KeyObject; onChanged: () => void }) {
  const [grace, setGrace] = useState("3600");
  const [confirmName, setConfirmName] = useState("");
  const [rotated, setRotated] = useState<CreatedKey | undefined>();
  const [error, setError] = useState("");
  const revoked = apiKey.revokedAt !== null;
  const act = (work: () => Promise<void>) => async (event?: Event) => {
    event?.preventDefault();
    setError("");
    try {
      await work();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  if (revoked) return html`<p>This key was revoked ${formatTime(apiKey.revokedAt)}; revoked keys cannot be changed.</p>`;

  return html`<section aria-labelledby="actions-title" class="actions-panel">
    <h2 id="actions-title">Actions</h2>
    <${ErrorLine} error=${error} />
    <button
      type="button"
      onClick=${act(async () => {
        await adminApi("PATCH", keyPath(apiKey.id), { enabled: !apiKey.enabled });
        onChanged();
      })}
    >${apiKey.enabled ? "Disable key" : "Enable key"}</button>
    <form class="inline-form" onSubmit=${act(async () => setRotated(await adminApi<CreatedKey>("POST", `${keyPath(apiKey.id)}/rotate`, { gracePeriodSeconds: Number(grace) })))}>
      <div class="field">
        <label for="grace">Old secret keeps working for (seconds, 0 to 2592000)</label>
        <input id="grace" type="number" min="0" max="2592000" required value=${grace} onInput=${(e: Event) => setGrace((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit">Rotate secret</button>
    </form>
    <form class="inline-form danger" onSubmit=${act(async () => {
      await adminApi("DELETE", keyPath(apiKey.id));
      onChanged();
    })}>
      <div class="field">
        <label for="revoke-confirm">Type the key's name, <strong>${apiKey.name}</strong>, to revoke it for good</label>
        <input id="revoke-confirm" autocomplete="off" value=${confirmName} onInput=${(e: Event) => setConfirmName((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" class="danger" disabled=${confirmName !== apiKey.name}>Revoke key</button>
    </form>
    ${
      rotated &&
      html`<${RevealDialog}
        title="New secret issued"
        secret=${rotated.key}
        onClose=${() => {
          setRotated(undefined);
          onChanged();
        }}
      />`
    }
  </section>`;
}

export function KeyDetailView({ id }: { id: string }) {
  const [granularity, setGranularity] = useState<Granularity>("hour");
  const [editing, setEditing] = useState(false);
  const key = useLoad(() => adminApi<KeyObject>("GET", keyPath(id)), [id]);
  const usage = useLoad(() => keyUsage(id, granularity), [id, granularity, key.data]);
  const live = useLoad(async () => (key.data ? loadLimits(key.data) : undefined), [key.data]);
  const identityId = key.data?.identityId;
  const identity = useLoad(
    async () => (identityId ? adminApi<IdentityObject>("GET", `/identities/${encodeURIComponent(identityId)}`) : undefined),
    [identityId],
  );
  const audit = useLoad(() => adminApi<Page<AuditEntry>>("GET", withQuery("/audit", { keyId: id, limit: 20 })), [id, key.data]);

  if (key.error) return html`<h1>Key</h1><${ErrorLine} error=${key.error} /><p><a href="#/keys">Back to keys</a></p>`;
  const apiKey = key.data;
  if (!apiKey) return html`<p>Loading…</p>`;
  const status = keyStatus(apiKey);

  return html`<p><a href="#/keys">← Keys</a></p>
    <h1>${apiKey.name} <span class=${`status ${status}`}>${status}</span></h1>
    <dl class="facts">
      <dt>Id</dt><dd><code>${apiKey.id}</code> <${CopyButton} text=${apiKey.id} label="Copy the key's id" /></dd>
      <dt>Start</dt><dd><code>${apiKey.start}…</code></dd>
      <dt>Owner</dt><dd>${apiKey.owner ?? "—"}</dd>
      <dt>Scopes</dt><dd>${apiKey.scopes.length ? apiKey.scopes.join(", ") : "—"}</dd>
      <dt>IP allowlist</dt><dd>${apiKey.ipAllowlist.length ? apiKey.ipAllowlist.join(", ") : "any"}</dd>
      <dt>Expires</dt><dd>${formatTime(apiKey.expiresAt)}</dd>
      <dt>Created</dt><dd>${formatTime(apiKey.createdAt)}</dd>
      <dt>Last used</dt><dd>${formatRelative(apiKey.lastUsedAt)}</dd>
      <dt>Metadata</dt><dd><code>${JSON.stringify(apiKey.metadata)}</code></dd>
    </dl>
    <${Limits} apiKey=${apiKey} identity=${identity.data} live=${live.data} error=${live.error || identity.error} />
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <div class="field inline">
        <label for="key-granularity">Per</label>
        <select id="key-granularity" value=${granularity} onChange=${(e: Event) => setGranularity((e.target as HTMLSelectElement).value as Granularity)}>
          <option value="hour">hour, last 24 hours</option>
          <option value="day">day, last 30 days</option>
        </select>
      </div>
      <${ErrorLine} error=${usage.error} />
      ${usage.data && html`<${OutcomeChart} buckets=${usage.data} />`}
    </section>
    <${Actions} apiKey=${apiKey} onChanged=${key.reload} />
    ${
      apiKey.revokedAt === null &&
      html`<section aria-labelledby="edit-title">
        <h2 id="edit-title">Edit</h2>
        ${
          editing
            ? html`<${KeyForm}
                original=${apiKey}
                submitLabel="Save changes"
                onSubmit=${async (state: FormState) => {
                  const body = updateBody(state, apiKey);
                  if (Object.keys(body).length > 0) await adminApi("PATCH", keyPath(apiKey.id), body);
                  setEditing(false);
                  key.reload();
                }}
              />`
            : html`<button type="button" class="secondary" onClick=${() => setEditing(true)}>Edit scopes, limits, quota, IP allowlist, metadata, expiry</button>`
        }
      </section>`
    }
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit entries</h2>
      <${ErrorLine} error=${audit.error} />
      ${audit.data && html`<${AuditTable} entries=${audit.data.items} showKey=${false} />`}
      <p><a href=${`#/audit?keyId=${encodeURIComponent(apiKey.id)}`}>All of this key's entries</a></p>
    </section>`;
}
