// Plans (docs/plans.md): the list, a form to create or edit one, and delete with a confirmation.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { PlanObject as Plan } from "../../../src/admin/plan-object";
import { adminApi, withQuery } from "../api";
import { type LimitRow, limitRowsOf, limitsOf, RateLimitRows } from "../rate-limit-rows";
import type { Page } from "../types";
import { ErrorLine, useLoad } from "../ui";

interface PlanForm {
  name: string;
  rateLimits: LimitRow[];
  quotaLimit: string;
  quotaPeriod: "day" | "month" | "total";
  allowedScopes: string;
  maxKeys: string;
}

function fromPlan(plan: Plan | undefined): PlanForm {
  return {
    name: plan?.name ?? "",
    rateLimits: limitRowsOf(plan?.rateLimits),
    quotaLimit: plan?.quota ? String(plan.quota.limit) : "",
    quotaPeriod: plan?.quota?.period ?? "month",
    allowedScopes: plan?.allowedScopes?.join(" ") ?? "",
    maxKeys: plan?.maxKeys === null || plan?.maxKeys === undefined ? "" : String(plan.maxKeys),
  };
}

/** The body the form describes: every field, empty optional ones as null (any scope, no limit, no quota). */
function toBody(form: PlanForm): Record<string, unknown> {
  const scopes = form.allowedScopes.split(/[\s,]+/).filter(Boolean);
  return {
    name: form.name.trim(),
    rateLimits: limitsOf(form.rateLimits),
    quota: form.quotaLimit ? { limit: Number(form.quotaLimit), period: form.quotaPeriod } : null,
    allowedScopes: scopes.length > 0 ? scopes : null,
    maxKeys: form.maxKeys === "" ? null : Number(form.maxKeys),
  };
}

/** Only the fields that differ from the plan as loaded (a PATCH that changes no limit tells no identity). */
function changedFields(form: PlanForm, plan: Plan): Record<string, unknown> {
  const before = toBody(fromPlan(plan));
  return Object.fromEntries(Object.entries(toBody(form)).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
}

const limitsText = (plan: Plan) => plan.rateLimits.map((l) => `${l.limit} per ${l.window} s (${l.name})`).join(", ") || "—";

function PlanEditor({ original, onDone }: { original?: Plan; onDone: (plan?: Plan) => void }) {
  const [form, setForm] = useState(() => fromPlan(original));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<PlanForm>) => setForm((current) => ({ ...current, ...patch }));
  const text = (name: keyof PlanForm) => (event: Event) => set({ [name]: (event.target as HTMLInputElement).value });
  const id = (name: string) => `${original ? "edit" : "create"}-plan-${name}`;
  // The editor opens below the list: take the reader (and the keyboard) there.
  useEffect(() => {
    if (original) document.getElementById(id("name"))?.focus();
  }, [original?.id]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (!original) {
        const body = Object.fromEntries(Object.entries(toBody(form)).filter(([, value]) => value !== null));
        onDone(await adminApi<Plan>("POST", "/plans", body));
        setForm(fromPlan(undefined));
      } else {
        const body = changedFields(form, original);
        onDone(Object.keys(body).length ? await adminApi<Plan>("PATCH", `/plans/${encodeURIComponent(original.id)}`, body) : original);
      }
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="key-form" onSubmit=${submit} aria-label=${original ? `Edit plan ${original.name}` : "New plan"}>
    <div class="field">
      <label for=${id("name")}>Name <small>unique among plans</small></label>
      <input id=${id("name")} required maxlength="200" value=${form.name} onInput=${text("name")} />
    </div>
    <fieldset>
      <legend>Rate limits <small>per identity on the plan</small></legend>
      <${RateLimitRows} rows=${form.rateLimits} onChange=${(rateLimits: LimitRow[]) => set({ rateLimits })} id=${id} nameLabel="Limit name" />
    </fieldset>
    <fieldset>
      <legend>Quota</legend>
      <div class="limit-row">
        <div class="field">
          <label for=${id("quota-limit")}>Quota requests <small>empty: no quota</small></label>
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
    <div class="field">
      <label for=${id("scopes")}>Allowed scopes <small>for keys customers create in the portal; spaces or commas; empty: any</small></label>
      <input id=${id("scopes")} value=${form.allowedScopes} onInput=${text("allowedScopes")} />
    </div>
    <div class="field">
      <label for=${id("max-keys")}>Max live keys <small>per customer; empty: no limit</small></label>
      <input id=${id("max-keys")} type="number" min="0" value=${form.maxKeys} onInput=${text("maxKeys")} />
    </div>
    <${ErrorLine} error=${error} />
    <div class="actions">
      <button type="submit" disabled=${busy}>${original ? "Save plan" : "Create plan"}</button>
      ${original && html`<button type="button" class="secondary" onClick=${() => onDone()}>Cancel</button>`}
    </div>
  </form>`;
}

export function PlansView() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoadPlans(cursor);
  const [editing, setEditing] = useState<Plan | undefined>();
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");

  const remove = async (plan: Plan) => {
    if (!confirm(`Delete the plan “${plan.name}”? Only a plan no identity is on can be deleted.`)) return;
    setError("");
    setNotice("");
    try {
      await adminApi("DELETE", `/plans/${encodeURIComponent(plan.id)}`);
      setNotice(`Deleted the plan “${plan.name}”.`);
      if (editing?.id === plan.id) setEditing(undefined);
      page.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const done = (verb: string) => (plan?: Plan) => {
    setEditing(undefined);
    setError("");
    setNotice(plan ? `${verb} the plan “${plan.name}”.` : "");
    page.reload();
  };

  return html`<h1>Plans</h1>
    <p class="hint">
      Tiers of rate limits and quota for identities (<code>planId</code>); an identity's own limits replace its plan's field by field.
      Changes reach every identity on the plan within <code>LEASE_TTL_MS</code>.
    </p>
    <${ErrorLine} error=${page.error || error} />
    <p role="status">${notice}</p>
    ${page.data?.items.length === 0 && html`<p>No plans yet.</p>`}
    ${
      page.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Rate limits</th><th scope="col">Quota</th><th scope="col">Allowed scopes</th><th scope="col">Max keys</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${page.data.items.map(
              (plan) => html`<tr key=${plan.id}>
                <td data-label="Name">${plan.name}</td>
                <td data-label="Id"><code>${plan.id}</code></td>
                <td data-label="Rate limits">${limitsText(plan)}</td>
                <td data-label="Quota">${plan.quota ? `${plan.quota.limit} per ${plan.quota.period}` : "—"}</td>
                <td data-label="Allowed scopes">${plan.allowedScopes ? plan.allowedScopes.join(", ") || "none" : "any"}</td>
                <td data-label="Max keys">${plan.maxKeys ?? "no limit"}</td>
                <td data-label="Actions">
                  <span class="row-actions">
                    <button type="button" class="secondary" aria-label=${`Edit ${plan.name}`} onClick=${() => setEditing(plan)}>Edit</button>
                    <button type="button" class="danger" aria-label=${`Delete ${plan.name}`} onClick=${() => remove(plan)}>Delete</button>
                  </span>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <nav class="pager" aria-label="Plan pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Next</button>
    </nav>
    ${
      editing
        ? html`<h2>Edit plan “${editing.name}”</h2>
          <${PlanEditor} key=${editing.id} original=${editing} onDone=${done("Saved")} />`
        : html`<h2>New plan</h2>
          <${PlanEditor} onDone=${done("Created")} />`
    }`;
}

function useLoadPlans(cursor: string | undefined) {
  return useLoad(() => adminApi<Page<Plan>>("GET", withQuery("/plans", { limit: 50, cursor })), [cursor]);
}
