// Create key (docs/dashboard.md § Views): the key form, `POST /keys`, then the plaintext shown once before the key's page.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { adminApi } from "../api";
import type { CreatedKey } from "../types";
import { RevealDialog } from "../ui";
import { createBody, type FormState, KeyForm } from "./key-form";

export function CreateKeyView() {
  const [created, setCreated] = useState<CreatedKey | undefined>();
  return html`<h1>Create a key</h1>
    <${KeyForm}
      submitLabel="Create key"
      onSubmit=${async (state: FormState) => setCreated(await adminApi<CreatedKey>("POST", "/keys", createBody(state)))}
    />
    ${
      created &&
      html`<${RevealDialog}
        title=${`Key “${created.name}” created`}
        secret=${created.key}
        onClose=${() => {
          location.hash = `#/keys/${encodeURIComponent(created.id)}`;
        }}
      />`
    }`;
}
