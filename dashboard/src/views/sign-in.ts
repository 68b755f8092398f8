// Signing in (docs/dashboard.md § Signing in): the operator token is checked with one read, then kept for the tab's session.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { ApiError, adminApi, session } from "../api";

/** Checks the token with one harmless read before keeping it for the session. */
export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await adminApi("GET", "/keys?limit=1", undefined, token.trim());
      session.signIn(token.trim());
      onSignedIn();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) {
        // A valid token without keys:read: the views it may use still work.
        session.signIn(token.trim());
        onSignedIn();
      } else {
        setError(failure instanceof ApiError && failure.status === 401 ? "That token was refused." : String((failure as Error).message));
      }
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="sign-in" id="main">
    <h1>Gateway dashboard</h1>
    ${notice && html`<p role="status">${notice}</p>`}
    <form onSubmit=${submit}>
      <label for="token">Operator token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="off"
        required
        value=${token}
        onInput=${(event: Event) => setToken((event.target as HTMLInputElement).value)}
      />
      <p class="hint">Kept in this tab only (sessionStorage) and sent as a Bearer token. Signing out forgets it.</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}
