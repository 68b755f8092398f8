// Operator tokens (docs/operators.md): the list a page at a time, create with scopes (the token shown once), revoke after
// a confirmation.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { OperatorObject as Operator } from "../../../src/admin/operator-object";
import { OPERATOR_SCOPES } from "../../../src/operators/scopes";
import { adminApi, withQuery } from "../api";
import type { Page } from "../types";
import { ErrorLine, formatTime, RevealDialog, useLoad } from "../ui";

function CreateOperator({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["keys:read", "usage:read"]);
  const [error, setError] = useState("");
  const [created, setCreated] = useState<(Operator & { token: string }) | undefined>();
  const toggle = (scope: string, on: boolean) => setScopes(on ? [...scopes, scope] : scopes.filter((s) => s !== scope));
  const submit = async (event: Event) => {
    event.preventDefault();
    setError("");
    try {
      setCreated(await adminApi("POST", "/operators", { name: name.trim(), scopes }));
      setName("");
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<form class="key-form" onSubmit=${submit}>
    <div class="field">
      <label for="operator-name">Name</label>
      <input id="operator-name" required maxlength="200" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
    </div>
    <fieldset>
      <legend>Scopes <small>at most those of your own token</small></legend>
      ${OPERATOR_SCOPES.map(
        (scope) => html`<div class="field checkbox">
          <input
            id=${`scope-${scope}`}
            type="checkbox"
            checked=${scopes.includes(scope)}
            onChange=${(e: Event) => toggle(scope, (e.target as HTMLInputElement).checked)}
          />
          <label for=${`scope-${scope}`}><code>${scope}</code></label>
        </div>`,
      )}
    </fieldset>
    <${ErrorLine} error=${error} />
    <button type="submit">Create operator token</button>
    ${
      created &&
      html`<${RevealDialog}
        title=${`Operator token “${created.name}” created`}
        secret=${created.token}
        onClose=${() => {
          setCreated(undefined);
          onCreated();
        }}
      />`
    }
  </form>`;
}

export function OperatorsView() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => adminApi<Page<Operator>>("GET", withQuery("/operators", { limit: 50, cursor })), [cursor]);
  const [error, setError] = useState("");
  const revoke = async (operator: Operator) => {
    if (!confirm(`Revoke the operator token “${operator.name}”? Calls with it are refused from then on.`)) return;
    setError("");
    try {
      await adminApi("DELETE", `/operators/${encodeURIComponent(operator.id)}`);
      page.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<h1>Operator tokens</h1>
    <p class="hint">Named admin tokens with scopes, for people and services. <code>ADMIN_TOKEN</code> has every scope and is not listed.</p>
    <${ErrorLine} error=${page.error || error} />
    ${page.data?.items.length === 0 && html`<p>No operator tokens yet.</p>`}
    ${
      page.data?.items.length &&
      html`<div class="table-scroll">
        <table class="cards">
          <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Start</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Status</th></tr></thead>
          <tbody>
            ${page.data.items.map(
              (operator) => html`<tr key=${operator.id}>
                <td data-label="Name">${operator.name}</td>
                <td data-label="Id"><code>${operator.id}</code></td>
                <td data-label="Start"><code>${operator.start}…</code></td>
                <td data-label="Scopes">${operator.scopes.join(", ")}</td>
                <td data-label="Created">${formatTime(operator.createdAt)}</td>
                <td data-label="Status">
                  ${
                    operator.revokedAt
                      ? html`<span class="status revoked">revoked</span>`
                      : html`<button type="button" class="danger" aria-label=${`Revoke ${operator.name}`} onClick=${() => revoke(operator)}>Revoke</button>`
                  }
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <nav class="pager" aria-label="Operator pages">
      <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <button type="button" class="secondary" disabled=${!page.data?.nextCursor} onClick=${() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>Next</button>
    </nav>
    <h2>New operator token</h2>
    <${CreateOperator} onCreated=${page.reload} />`;
}
