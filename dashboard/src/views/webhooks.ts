// Webhooks (docs/webhooks.md): the list, create (the signing secret shown once), edit, delete with a
// confirmation; one webhook's deliveries (status, attempts, last answer) with resend, and a test send.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { WebhookEventType } from "../../../src/db/schema";
import { adminApi, withQuery } from "../api";
import type { Page } from "../types";
import { CopyButton, ErrorLine, formatTime, RevealDialog, useLoad } from "../ui";

/** The events a webhook can subscribe to (docs/webhooks.md#events). */
const EVENTS: WebhookEventType[] = ["key.revoked", "key.rotated", "key.expiring", "quota.threshold", "key.rate_limited"];

interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  thresholds: number[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface Delivery {
  id: string;
  type: string;
  status: "pending" | "delivered" | "failed";
  queuedAt: string;
  nextAttemptAt: string | null;
  attempts: { at: string; status: number | null; error: string | null; durationMs: number }[];
}

interface WebhookForm {
  url: string;
  events: WebhookEventType[];
  thresholds: string;
  enabled: boolean;
}

const fromWebhook = (hook: Webhook | undefined): WebhookForm => ({
  url: hook?.url ?? "",
  events: hook?.events ?? [],
  thresholds: (hook?.thresholds ?? [80, 100]).join(", "),
  enabled: hook?.enabled ?? true,
});

function toBody(form: WebhookForm): Record<string, unknown> {
  return {
    url: form.url.trim(),
    events: EVENTS.filter((event) => form.events.includes(event)),
    thresholds: form.thresholds
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b),
    enabled: form.enabled,
  };
}

function changedFields(form: WebhookForm, hook: Webhook): Record<string, unknown> {
  const before = toBody(fromWebhook(hook));
  return Object.fromEntries(Object.entries(toBody(form)).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
}

const webhookPath = (id: string) => `/webhooks/${encodeURIComponent(id)}`;

function WebhookEditor({ original, onDone }: { original?: Webhook; onDone: (hook?: Webhook & { secret?: string }) => void }) {
  const [form, setForm] = useState(() => fromWebhook(original));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<WebhookForm>) => setForm((current) => ({ ...current, ...patch }));
  const id = (name: string) => `${original ? "edit" : "create"}-webhook-${name}`;
  useEffect(() => {
    if (original) document.getElementById(id("url"))?.focus();
  }, [original?.id]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (form.events.length === 0) return setError("Choose at least one event.");
    setBusy(true);
    setError("");
    try {
      if (!original) {
        onDone(await adminApi<Webhook & { secret: string }>("POST", "/webhooks", toBody(form)));
        setForm(fromWebhook(undefined));
      } else {
        const body = changedFields(form, original);
        onDone(Object.keys(body).length ? await adminApi<Webhook>("PATCH", webhookPath(original.id), body) : original);
      }
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="key-form" onSubmit=${submit} aria-label=${original ? "Edit webhook" : "New webhook"}>
    <div class="field">
      <label for=${id("url")}>URL <small>https; http only to localhost on a local gateway</small></label>
      <input id=${id("url")} type="url" required maxlength="2048" value=${form.url} onInput=${(e: Event) => set({ url: (e.target as HTMLInputElement).value })} />
    </div>
    <fieldset>
      <legend>Events</legend>
      ${EVENTS.map(
        (name) => html`<div class="field checkbox" key=${name}>
          <input
            id=${id(`event-${name}`)}
            type="checkbox"
            checked=${form.events.includes(name)}
            onChange=${(e: Event) =>
              set({ events: (e.target as HTMLInputElement).checked ? [...form.events, name] : form.events.filter((x) => x !== name) })}
          />
          <label for=${id(`event-${name}`)}><code>${name}</code></label>
        </div>`,
      )}
    </fieldset>
    <div class="field">
      <label for=${id("thresholds")}>Quota thresholds <small>percentages for <code>quota.threshold</code>, spaces or commas</small></label>
      <input id=${id("thresholds")} required value=${form.thresholds} onInput=${(e: Event) => set({ thresholds: (e.target as HTMLInputElement).value })} />
    </div>
    <div class="field checkbox">
      <input id=${id("enabled")} type="checkbox" checked=${form.enabled} onChange=${(e: Event) => set({ enabled: (e.target as HTMLInputElement).checked })} />
      <label for=${id("enabled")}>Enabled <small>off: messages wait in its queue</small></label>
    </div>
    <${ErrorLine} error=${error} />
    <div class="actions">
      <button type="submit" disabled=${busy}>${original ? "Save webhook" : "Create webhook"}</button>
      ${original && html`<button type="button" class="secondary" onClick=${() => onDone()}>Cancel</button>`}
    </div>
  </form>`;
}

export function WebhooksView() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => adminApi<Page<Webhook>>("GET", withQuery("/webhooks", { limit: 50, cursor })), [cursor]);
  const [created, setCreated] = useState<(Webhook & { secret?: string }) | undefined>();
  const [notice, setNotice] = useState("");

  return html`<h1>Webhooks</h1>
    <p class="hint">Signed messages to your receivers when keys are revoked, rotated or expiring, or use crosses a quota threshold.</p>
    <${ErrorLine} error=${page.error} />
    <p role="status">${notice}</p>
    ${page.data?.items.length === 0 && html`<p>No webhooks yet.</p>`}
    ${
      page.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Enabled</th><th scope="col">Created</th><th scope="col">Id</th></tr></thead>
          <tbody>
            ${page.data.items.map(
              (hook) => html`<tr key=${hook.id}>
                <td data-label="URL"><a href=${`#/webhooks/${encodeURIComponent(hook.id)}`}>${hook.url}</a></td>
                <td data-label="Events">${hook.events.join(", ")}</td>
                <td data-label="Enabled">${hook.enabled ? "yes" : "no"}</td>
                <td data-label="Created">${formatTime(hook.createdAt)}</td>
                <td data-label="Id"><code>${hook.id}</code></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <nav class="pager" aria-label="Webhook pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Next</button>
    </nav>
    <h2>New webhook</h2>
    <${WebhookEditor}
      onDone=${(hook?: Webhook & { secret?: string }) => {
        setNotice(hook ? `Created the webhook ${hook.id}.` : "");
        setCreated(hook);
        page.reload();
      }}
    />
    ${
      created?.secret &&
      html`<${RevealDialog}
        title="The webhook's signing secret"
        secret=${created.secret}
        note=${{ kept: "Your receiver checks each message's signature with it.", lost: "delete the webhook and create it again." }}
        onClose=${() => setCreated(undefined)}
      />`
    }`;
}

const lastAnswer = (delivery: Delivery) => {
  const last = delivery.attempts.at(-1);
  if (!last) return "—";
  return last.status === null ? (last.error ?? "no answer") : `${last.status}${last.error ? ` ${last.error}` : ""}`;
};

function Deliveries({ hook, generation }: { hook: Webhook; generation: number }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () => adminApi<Page<Delivery>>("GET", withQuery(`${webhookPath(hook.id)}/deliveries`, { limit: 20, cursor })),
    [hook.id, cursor, generation],
  );
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const resend = async (delivery: Delivery) => {
    setError("");
    try {
      await adminApi("POST", `${webhookPath(hook.id)}/deliveries/${encodeURIComponent(delivery.id)}/resend`);
      setNotice(`Queued ${delivery.id} again.`);
      page.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Deliveries <small>newest first, kept 30 days</small></h2>
    <div class="actions"><button type="button" class="secondary" onClick=${page.reload}>Refresh</button></div>
    <${ErrorLine} error=${page.error || error} />
    <p role="status">${notice}</p>
    ${page.data?.items.length === 0 && html`<p>Nothing sent yet.</p>`}
    ${
      page.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Queued</th><th scope="col">Message id</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${page.data.items.map(
              (delivery) => html`<tr key=${delivery.id}>
                <td data-label="Type"><code>${delivery.type}</code></td>
                <td data-label="Status">${delivery.status}${delivery.nextAttemptAt ? `, next ${formatTime(delivery.nextAttemptAt)}` : ""}</td>
                <td data-label="Attempts">${delivery.attempts.length}</td>
                <td data-label="Last answer">${lastAnswer(delivery)}</td>
                <td data-label="Queued">${formatTime(delivery.queuedAt)}</td>
                <td data-label="Message id"><code>${delivery.id}</code></td>
                <td data-label="Actions">
                  <button type="button" class="secondary" aria-label=${`Resend ${delivery.id}`} disabled=${delivery.status === "pending"} onClick=${() => resend(delivery)}>Resend</button>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <nav class="pager" aria-label="Delivery pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Older</button>
    </nav>
  </section>`;
}

export function WebhookDetailView({ id }: { id: string }) {
  const hook = useLoad(() => adminApi<Webhook>("GET", webhookPath(id)), [id]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [sent, setSent] = useState(0);

  if (hook.error) return html`<h1>Webhook</h1><${ErrorLine} error=${hook.error} /><p><a href="#/webhooks">Back to webhooks</a></p>`;
  const current = hook.data;
  if (!current) return html`<p>Loading…</p>`;

  const act = async (what: () => Promise<void>) => {
    setError("");
    setNotice("");
    try {
      await what();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const sendTest = () =>
    act(async () => {
      const delivery = await adminApi<Delivery>("POST", `${webhookPath(current.id)}/test`);
      setNotice(`Queued a test message (${delivery.id}).`);
      setSent((n) => n + 1);
    });
  const remove = () =>
    act(async () => {
      if (!confirm(`Delete the webhook to ${current.url}? Nothing more is sent to it, pending retries included.`)) return;
      await adminApi("DELETE", webhookPath(current.id));
      location.hash = "#/webhooks";
    });

  return html`<p><a href="#/webhooks">← Webhooks</a></p>
    <h1>Webhook <span class=${`status ${current.enabled ? "active" : "disabled"}`}>${current.enabled ? "enabled" : "disabled"}</span></h1>
    <dl class="facts">
      <dt>Id</dt><dd><code>${current.id}</code> <${CopyButton} text=${current.id} label="Copy the webhook's id" /></dd>
      <dt>URL</dt><dd><code>${current.url}</code></dd>
      <dt>Events</dt><dd>${current.events.join(", ")}</dd>
      <dt>Quota thresholds</dt><dd>${current.thresholds.map((t) => `${t} %`).join(", ")}</dd>
      <dt>Created</dt><dd>${formatTime(current.createdAt)}</dd>
      <dt>Updated</dt><dd>${formatTime(current.updatedAt)}</dd>
    </dl>
    <${ErrorLine} error=${error} />
    <p role="status">${notice}</p>
    ${
      editing
        ? html`<${WebhookEditor}
            original=${current}
            onDone=${(saved?: Webhook) => {
              setEditing(false);
              setNotice(saved ? "Saved the webhook." : "");
              hook.reload();
            }}
          />`
        : html`<div class="actions">
            <button type="button" onClick=${sendTest}>Send test</button>
            <button type="button" class="secondary" onClick=${() => setEditing(true)}>Edit webhook</button>
            <button type="button" class="danger" onClick=${remove}>Delete webhook</button>
          </div>`
    }
    <${Deliveries} hook=${current} generation=${sent} />`;
}
