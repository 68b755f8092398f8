// The customer's keys: the list, and creating (secret shown once), rolling (the old secret's expiry
// chosen as Stripe offers it) and revoking (after a confirmation) each one.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { keyStatus } from "../../dashboard/src/types";
import { ErrorLine, formatRelative, formatTime, RevealDialog } from "../../dashboard/src/ui";
import { type CreatedKey, type KeyObject, type Me, portalApi } from "./api";
import { Modal } from "./dialog";

const keyPath = (id: string) => `/keys/${encodeURIComponent(id)}`;

/** When the old secret of a rolled key stops working, as Stripe offers it. */
const ROLL_EXPIRIES = [
  { seconds: 0, label: "Now" },
  { seconds: 3600, label: "In 1 hour" },
  { seconds: 86400, label: "In 24 hours" },
  { seconds: 7 * 86400, label: "In 7 days" },
];

type Dialog =
  | { kind: "create" }
  | { kind: "roll"; key: KeyObject }
  | { kind: "revoke"; key: KeyObject }
  | { kind: "secret"; created: CreatedKey; rolled: boolean };

/** Runs a write, showing its failure inside the dialog that asked for it. */
function useWrite() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError("");
    try {
      await work();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

function CreateDialog({ me, onCreated, onClose }: { me: Me; onCreated: (key: CreatedKey) => void; onClose: () => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [freeScopes, setFreeScopes] = useState("");
  const [expires, setExpires] = useState("");
  const write = useWrite();
  const allowed = me.plan?.allowedScopes ?? null;
  const submit = (event: Event) => {
    event.preventDefault();
    void write.run(async () => {
      const chosen = allowed === null ? freeScopes.split(/[\s,]+/).filter(Boolean) : scopes;
      const body = {
        name: name.trim(),
        ...(chosen.length > 0 && { scopes: chosen }),
        ...(expires && { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() }),
      };
      onCreated(await portalApi<CreatedKey>("POST", "/keys", body));
    });
  };
  return html`<${Modal} id="create" title="Create a key" onClose=${onClose}>
    <form onSubmit=${submit} class="dialog-form">
      <div class="field">
        <label for="key-name">Name</label>
        <input id="key-name" required maxlength="200" autocomplete="off" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        <p class="hint">What the key is for, e.g. "production server".</p>
      </div>
      ${
        allowed === null
          ? html`<div class="field">
              <label for="key-scopes">Scopes</label>
              <input id="key-scopes" autocomplete="off" value=${freeScopes} onInput=${(e: Event) => setFreeScopes((e.target as HTMLInputElement).value)} />
              <p class="hint">Separated by spaces; none for a key without scopes.</p>
            </div>`
          : allowed.length > 0 &&
            html`<fieldset>
              <legend>Scopes your plan allows</legend>
              ${allowed.map(
                (scope) => html`<div class="field checkbox">
                  <input
                    type="checkbox"
                    id=${`scope-${scope}`}
                    checked=${scopes.includes(scope)}
                    onChange=${(e: Event) =>
                      setScopes((e.target as HTMLInputElement).checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
                  />
                  <label for=${`scope-${scope}`}>${scope}</label>
                </div>`,
              )}
            </fieldset>`
      }
      <div class="field">
        <label for="key-expires">Expires (optional, end of that UTC day)</label>
        <input id="key-expires" type="date" value=${expires} onInput=${(e: Event) => setExpires((e.target as HTMLInputElement).value)} />
      </div>
      <${ErrorLine} error=${write.error} />
      <div class="actions">
        <button type="submit" disabled=${write.busy}>Create key</button>
        <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  <//>`;
}

function RollDialog({ apiKey, onRolled, onClose }: { apiKey: KeyObject; onRolled: (key: CreatedKey) => void; onClose: () => void }) {
  const [seconds, setSeconds] = useState(3600);
  const write = useWrite();
  const submit = (event: Event) => {
    event.preventDefault();
    void write.run(async () => onRolled(await portalApi<CreatedKey>("POST", `${keyPath(apiKey.id)}/roll`, { expiresInSeconds: seconds })));
  };
  return html`<${Modal} id="roll" title=${`Roll ${apiKey.name}`} onClose=${onClose}>
    <form onSubmit=${submit} class="dialog-form">
      <p>A new secret replaces <code>${apiKey.start}…</code>. Limits, quota and usage stay with the key.</p>
      <fieldset>
        <legend>The old secret stops working</legend>
        ${ROLL_EXPIRIES.map(
          (option) => html`<div class="field checkbox">
            <input
              type="radio"
              name="roll-expiry"
              id=${`roll-${option.seconds}`}
              checked=${seconds === option.seconds}
              onChange=${() => setSeconds(option.seconds)}
            />
            <label for=${`roll-${option.seconds}`}>${option.label}</label>
          </div>`,
        )}
      </fieldset>
      <${ErrorLine} error=${write.error} />
      <div class="actions">
        <button type="submit" disabled=${write.busy}>Roll key</button>
        <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  <//>`;
}

function RevokeDialog({ apiKey, onRevoked, onClose }: { apiKey: KeyObject; onRevoked: () => void; onClose: () => void }) {
  const write = useWrite();
  return html`<${Modal} id="revoke" title=${`Revoke ${apiKey.name}?`} alert=${true} onClose=${onClose}>
    <p id="revoke-warning" class="warning">
      Every request with <code>${apiKey.start}…</code> is refused within about a second, everywhere. This cannot be undone.
    </p>
    <${ErrorLine} error=${write.error} />
    <div class="actions">
      <button
        type="button"
        class="danger"
        aria-describedby="revoke-warning"
        disabled=${write.busy}
        onClick=${() =>
          void write.run(async () => {
            await portalApi("DELETE", keyPath(apiKey.id));
            onRevoked();
          })}
      >Revoke key</button>
      <button type="button" class="secondary" autofocus onClick=${onClose}>Cancel</button>
    </div>
  <//>`;
}

function KeyRow({ apiKey, onRoll, onRevoke }: { apiKey: KeyObject; onRoll: () => void; onRevoke: () => void }) {
  const status = keyStatus(apiKey);
  const live = status !== "revoked";
  return html`<tr>
    <th scope="row">${apiKey.name}</th>
    <td data-label="Key"><code>${apiKey.start}…</code></td>
    <td data-label="Created" class="when">${formatTime(apiKey.createdAt)}</td>
    <td data-label="Last used">${formatRelative(apiKey.lastUsedAt)}</td>
    <td data-label="Expires" class="when">${apiKey.expiresAt ? formatTime(apiKey.expiresAt) : "never"}</td>
    <td data-label="Status"><span class=${`status ${status}`}>${status}</span></td>
    <td data-label="" class="row-actions">
      ${
        live &&
        html`<button type="button" class="secondary" aria-label=${`Roll ${apiKey.name}`} onClick=${onRoll}>Roll</button>
          <button type="button" class="danger" aria-label=${`Revoke ${apiKey.name}`} onClick=${onRevoke}>Revoke</button>`
      }
    </td>
  </tr>`;
}

export function KeysSection({ me, keys, onChanged }: { me: Me; keys: KeyObject[]; onChanged: () => void }) {
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [notice, setNotice] = useState("");
  const close = () => setDialog(undefined);
  const live = keys.filter((key) => keyStatus(key) !== "revoked" && keyStatus(key) !== "expired").length;
  const full = me.plan?.maxKeys != null && live >= me.plan.maxKeys;
  return html`<section aria-labelledby="keys-title" class="panel">
    <div class="section-head">
      <h2 id="keys-title">Your keys</h2>
      <button type="button" disabled=${full} aria-describedby=${full ? "keys-full" : undefined} onClick=${() => setDialog({ kind: "create" })}>Create key</button>
    </div>
    ${full && html`<p id="keys-full" class="hint">Your plan allows ${me.plan?.maxKeys} live keys: revoke one to create another.</p>`}
    <p role="status" class="notice-line">${notice}</p>
    ${
      keys.length === 0
        ? html`<p>No keys yet. Create one to call the API.</p>`
        : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="keys-title">
            <table class="cards">
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                ${[...keys].reverse().map(
                  (key) =>
                    html`<${KeyRow}
                      key=${key.id}
                      apiKey=${key}
                      onRoll=${() => setDialog({ kind: "roll", key })}
                      onRevoke=${() => setDialog({ kind: "revoke", key })}
                    />`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${dialog?.kind === "create" && html`<${CreateDialog} me=${me} onClose=${close} onCreated=${(created: CreatedKey) => setDialog({ kind: "secret", created, rolled: false })} />`}
    ${dialog?.kind === "roll" && html`<${RollDialog} apiKey=${dialog.key} onClose=${close} onRolled=${(created: CreatedKey) => setDialog({ kind: "secret", created, rolled: true })} />`}
    ${
      dialog?.kind === "revoke" &&
      html`<${RevokeDialog}
        apiKey=${dialog.key}
        onClose=${close}
        onRevoked=${() => {
          setNotice(`${dialog.key.name} was revoked.`);
          close();
          onChanged();
        }}
      />`
    }
    ${
      dialog?.kind === "secret" &&
      html`<${RevealDialog}
        title=${dialog.rolled ? `New secret for ${dialog.created.name}` : `Your new key ${dialog.created.name}`}
        secret=${dialog.created.key}
        onClose=${() => {
          setNotice(dialog.rolled ? `${dialog.created.name} was rolled.` : `${dialog.created.name} was created.`);
          close();
          onChanged();
        }}
      />`
    }
  </section>`;
}
