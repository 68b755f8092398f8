// Identities (docs/identities.md): the list with a filter by externalId, one identity's detail (its plan,
// the limits that apply, its keys, usage), a form to create or edit one, and delete with a confirmation.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { PlanObject as Plan } from "../../../src/admin/plan-object";
import { adminApi, withQuery } from "../api";
import { OutcomeChart } from "../charts";
import { type LimitRow, limitRowsOf, limitsOf, RateLimitRows } from "../rate-limit-rows";
import { type Granularity, type IdentityObject as Identity, type KeyObject, keyStatus, type Page, type UsageBucket } from "../types";
import { CopyButton, ErrorLine, formatTime, useLoad } from "../ui";
import { spanQuery } from "../usage";

type RateLimit = Identity["rateLimits"][number];
type Quota = NonNullable<Identity["quota"]>;

interface IdentityForm {
  externalId: string;
  name: string;
  planId: string;
  enabled: boolean;
  rateLimits: LimitRow[];
  quotaLimit: string;
  quotaPeriod: Quota["period"];
}

function fromIdentity(identity: Identity | undefined): IdentityForm {
  return {
    externalId: identity?.externalId ?? "",
    name: identity?.name ?? "",
    planId: identity?.planId ?? "",
    enabled: identity?.enabled ?? true,
    rateLimits: limitRowsOf(identity?.rateLimits),
    quotaLimit: identity?.quota ? String(identity.quota.limit) : "",
    quotaPeriod: identity?.quota?.period ?? "month",
  };
}

/** The body the form describes; empty optional fields as null (no name, no plan, no quota of its own). */
function toBody(form: IdentityForm): Record<string, unknown> {
  return {
    externalId: form.externalId.trim(),
    name: form.name.trim() || null,
    planId: form.planId || null,
    enabled: form.enabled,
    rateLimits: limitsOf(form.rateLimits),
    quota: form.quotaLimit ? { limit: Number(form.quotaLimit), period: form.quotaPeriod } : null,
  };
}

/** Only the fields that differ from the identity as loaded. */
function changedFields(form: IdentityForm, identity: Identity): Record<string, unknown> {
  const before = toBody(fromIdentity(identity));
  return Object.fromEntries(Object.entries(toBody(form)).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
}

const limitsText = (limits: RateLimit[]) => limits.map((l) => `${l.limit} per ${l.window} s (${l.name})`).join(", ");
const quotaText = (quota: Quota | null | undefined) => (quota ? `${quota.limit} per ${quota.period}` : "");
const identityLabel = (identity: Identity) => identity.name ?? identity.externalId;
const identityPath = (id: string) => `/identities/${encodeURIComponent(id)}`;

/** Every plan, for the editor's select and the list's plan names (a gateway has few). */
function useAllPlans() {
  return useLoad(async () => {
    const plans: Plan[] = [];
    let cursor: string | undefined;
    do {
      const page: Page<Plan> = await adminApi("GET", withQuery("/plans", { limit: 100, cursor }));
      plans.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return plans;
  }, []);
}

function IdentityEditor({ original, plans, onDone }: { original?: Identity; plans: Plan[]; onDone: (identity?: Identity) => void }) {
  const [form, setForm] = useState(() => fromIdentity(original));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<IdentityForm>) => setForm((current) => ({ ...current, ...patch }));
  const text = (name: keyof IdentityForm) => (event: Event) => set({ [name]: (event.target as HTMLInputElement).value });
  const id = (name: string) => `${original ? "edit" : "create"}-identity-${name}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (!original) {
        const body = Object.fromEntries(Object.entries(toBody(form)).filter(([, value]) => value !== null));
        onDone(await adminApi<Identity>("POST", "/identities", body));
        setForm(fromIdentity(undefined));
      } else {
        const body = changedFields(form, original);
        onDone(Object.keys(body).length ? await adminApi<Identity>("PATCH", identityPath(original.id), body) : original);
      }
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="key-form" onSubmit=${submit} aria-label=${original ? `Edit identity ${identityLabel(original)}` : "New identity"}>
    <div class="field">
      <label for=${id("external-id")}>External id <small>your own id for the customer; unique</small></label>
      <input id=${id("external-id")} required maxlength="200" value=${form.externalId} onInput=${text("externalId")} />
    </div>
    <div class="field">
      <label for=${id("name")}>Display name <small>optional</small></label>
      <input id=${id("name")} maxlength="200" value=${form.name} onInput=${text("name")} />
    </div>
    <div class="field">
      <label for=${id("plan")}>Plan</label>
      <select id=${id("plan")} value=${form.planId} onChange=${text("planId")}>
        <option value="">No plan</option>
        ${plans.map((plan) => html`<option value=${plan.id}>${plan.name}</option>`)}
      </select>
    </div>
    <div class="field checkbox">
      <input id=${id("enabled")} type="checkbox" checked=${form.enabled} onChange=${(e: Event) => set({ enabled: (e.target as HTMLInputElement).checked })} />
      <label for=${id("enabled")}>Enabled <small>off: every key of the identity is refused</small></label>
    </div>
    <fieldset>
      <legend>Rate limits <small>shared by all its keys; none: the plan's</small></legend>
      <${RateLimitRows} rows=${form.rateLimits} onChange=${(rateLimits: LimitRow[]) => set({ rateLimits })} id=${id} nameLabel="Limit name" />
    </fieldset>
    <fieldset>
      <legend>Quota <small>empty: the plan's, if any</small></legend>
      <div class="limit-row">
        <div class="field">
          <label for=${id("quota-limit")}>Quota requests</label>
          <input id=${id("quota-limit")} type="number" min="1" value=${form.quotaLimit} onInput=${text("quotaLimit")} />
        </div>
        <div class="field">
          <label for=${id("quota-period")}>Per</label>
          <select id=${id("quota-period")} value=${form.quotaPeriod} onChange=${text("quotaPeriod")}>
            <option value="day">UTC day</option>
            <option value="month">UTC month</option>
            <option value="total">in total</option>
          </select>
        </div>
      </div>
    </fieldset>
    <${ErrorLine} error=${error} />
    <div class="actions">
      <button type="submit" disabled=${busy}>${original ? "Save identity" : "Create identity"}</button>
      ${original && html`<button type="button" class="secondary" onClick=${() => onDone()}>Cancel</button>`}
    </div>
  </form>`;
}

export function IdentitiesView() {
  const [filter, setFilter] = useState("");
  const [applied, setApplied] = useState("");
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () => adminApi<Page<Identity>>("GET", withQuery("/identities", { limit: 50, cursor, externalId: applied || undefined })),
    [cursor, applied],
  );
  const plans = useAllPlans();
  const planName = (id: string | null) => (id ? (plans.data?.find((plan) => plan.id === id)?.name ?? id) : "—");
  const [notice, setNotice] = useState("");

  return html`<h1>Identities</h1>
    <p class="hint">
      Customers whose keys share rate limits and a quota. An identity's own limits replace its plan's field by field.
    </p>
    <form class="filters" role="search" onSubmit=${(event: Event) => {
      event.preventDefault();
      setCursors([undefined]);
      setApplied(filter.trim());
    }}>
      <div class="field inline">
        <label for="identity-filter">External id</label>
        <input id="identity-filter" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
        <button type="submit" class="secondary">Filter</button>
      </div>
    </form>
    <${ErrorLine} error=${page.error} />
    <p role="status">${notice}</p>
    ${page.data?.items.length === 0 && html`<p>${applied ? `No identity has the external id “${applied}”.` : "No identities yet."}</p>`}
    ${
      page.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">External id</th><th scope="col">Name</th><th scope="col">Plan</th><th scope="col">Enabled</th><th scope="col">Created</th><th scope="col">Id</th></tr></thead>
          <tbody>
            ${page.data.items.map(
              (identity) => html`<tr key=${identity.id}>
                <td data-label="External id"><a href=${`#/identities/${encodeURIComponent(identity.id)}`}>${identity.externalId}</a></td>
                <td data-label="Name">${identity.name ?? "—"}</td>
                <td data-label="Plan">${planName(identity.planId)}</td>
                <td data-label="Enabled">${identity.enabled ? "yes" : "no"}</td>
                <td data-label="Created">${formatTime(identity.createdAt)}</td>
                <td data-label="Id"><code>${identity.id}</code></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <nav class="pager" aria-label="Identity pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Next</button>
    </nav>
    <h2>New identity</h2>
    <${IdentityEditor}
      plans=${plans.data ?? []}
      onDone=${(identity?: Identity) => {
        setNotice(identity ? `Created the identity “${identityLabel(identity)}”.` : "");
        page.reload();
      }}
    />`;
}

/** The limits that apply: the identity's own where set, else its plan's (docs/plans.md). */
function AppliedLimits({ identity, plan }: { identity: Identity; plan: Plan | undefined }) {
  const ownLimits = identity.rateLimits.length > 0;
  const limits = ownLimits ? identity.rateLimits : (plan?.rateLimits ?? []);
  const quota = identity.quota ?? plan?.quota ?? null;
  const from = (own: boolean) => (own ? "its own" : plan ? `from the plan ${plan.name}` : "");
  return html`<section aria-labelledby="identity-limits-title">
    <h2 id="identity-limits-title">Limits and quota</h2>
    <dl class="facts">
      <dt>Rate limits</dt>
      <dd>${limits.length ? `${limitsText(limits)}, ${from(ownLimits)}` : "none"}</dd>
      <dt>Quota</dt>
      <dd>${quota ? `${quotaText(quota)}, ${from(identity.quota !== null)}` : "none"}</dd>
    </dl>
  </section>`;
}

function IdentityKeys({ id }: { id: string }) {
  const keys = useLoad(() => adminApi<Page<KeyObject>>("GET", withQuery("/keys", { identityId: id, limit: 100 })), [id]);
  return html`<section aria-labelledby="identity-keys-title">
    <h2 id="identity-keys-title">Keys</h2>
    <${ErrorLine} error=${keys.error} />
    ${keys.data?.items.length === 0 && html`<p>No keys belong to this identity.</p>`}
    ${
      keys.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">Name</th><th scope="col">Start</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
          <tbody>
            ${keys.data.items.map(
              (key) => html`<tr key=${key.id}>
                <td data-label="Name"><a href=${`#/keys/${encodeURIComponent(key.id)}`}>${key.name}</a></td>
                <td data-label="Start"><code>${key.start}…</code></td>
                <td data-label="Status"><span class=${`status ${keyStatus(key)}`}>${keyStatus(key)}</span></td>
                <td data-label="Created">${formatTime(key.createdAt)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    ${keys.data?.nextCursor && html`<p>More than 100 keys: the first 100 are shown.</p>`}
  </section>`;
}

export function IdentityDetailView({ id }: { id: string }) {
  const [granularity, setGranularity] = useState<Granularity>("hour");
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const identity = useLoad(() => adminApi<Identity>("GET", identityPath(id)), [id]);
  const plans = useAllPlans();
  const usage = useLoad(
    async () => (await adminApi<{ buckets: UsageBucket[] }>("GET", withQuery(`${identityPath(id)}/usage`, spanQuery(granularity)))).buckets,
    [id, granularity],
  );
  useEffect(() => {
    if (editing) document.getElementById("edit-identity-external-id")?.focus();
  }, [editing]);

  if (identity.error)
    return html`<h1>Identity</h1><${ErrorLine} error=${identity.error} /><p><a href="#/identities">Back to identities</a></p>`;
  const current = identity.data;
  if (!current) return html`<p>Loading…</p>`;
  const plan = current.planId ? plans.data?.find((candidate) => candidate.id === current.planId) : undefined;

  const remove = async () => {
    if (!confirm(`Delete the identity “${identityLabel(current)}”? Only an identity without live keys can be deleted.`)) return;
    setError("");
    try {
      await adminApi("DELETE", identityPath(current.id));
      location.hash = "#/identities";
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return html`<p><a href="#/identities">← Identities</a></p>
    <h1>${identityLabel(current)} <span class=${`status ${current.enabled ? "active" : "disabled"}`}>${current.enabled ? "enabled" : "disabled"}</span></h1>
    <dl class="facts">
      <dt>Id</dt><dd><code>${current.id}</code> <${CopyButton} text=${current.id} label="Copy the identity's id" /></dd>
      <dt>External id</dt><dd>${current.externalId}</dd>
      <dt>Name</dt><dd>${current.name ?? "—"}</dd>
      <dt>Plan</dt><dd>${current.planId ? (plan?.name ?? current.planId) : "none"}</dd>
      <dt>Created</dt><dd>${formatTime(current.createdAt)}</dd>
      <dt>Updated</dt><dd>${formatTime(current.updatedAt)}</dd>
      <dt>Metadata</dt><dd><code>${JSON.stringify(current.metadata)}</code></dd>
    </dl>
    <${AppliedLimits} identity=${current} plan=${plan} />
    <${IdentityKeys} id=${current.id} />
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage <small>all its keys</small></h2>
      <div class="field inline">
        <label for="identity-granularity">Per</label>
        <select id="identity-granularity" value=${granularity} onChange=${(e: Event) => setGranularity((e.target as HTMLSelectElement).value as Granularity)}>
          <option value="hour">hour, last 24 hours</option>
          <option value="day">day, last 30 days</option>
        </select>
      </div>
      <${ErrorLine} error=${usage.error} />
      ${usage.data && html`<${OutcomeChart} buckets=${usage.data} />`}
    </section>
    <section aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <p role="status">${notice}</p>
      ${
        editing
          ? html`<${IdentityEditor}
              original=${current}
              plans=${plans.data ?? []}
              onDone=${(saved?: Identity) => {
                setEditing(false);
                setNotice(saved ? `Saved the identity “${identityLabel(saved)}”.` : "");
                identity.reload();
              }}
            />`
          : html`<div class="actions">
              <button type="button" class="secondary" onClick=${() => setEditing(true)}>Edit identity</button>
              <button type="button" class="danger" onClick=${remove}>Delete identity</button>
            </div>`
      }
      <${ErrorLine} error=${error} />
    </section>`;
}
