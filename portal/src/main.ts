// The customers' portal: one page where a signed-in customer manages their own API keys and sees
// their plan, limits and usage; every call goes to the portal API with the session cookie.
// First: a locale Intl accepts, before the chart library reads navigator.language on load.
import "../../dashboard/src/locale";
import { html, render } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorLine, useLoad } from "../../dashboard/src/ui";
import { ApiError, type KeyObject, type Me, onSignedOut, portalApi, SIGN_IN_URL, signOut } from "./api";
import { KeysSection } from "./keys";
import { PlanSection } from "./plan";
import { UsageSection } from "./usage";

function SignedOut({ notice }: { notice: string }) {
  return html`<main class="sign-in" id="main">
    <h1>API keys</h1>
    ${notice && html`<p role="status">${notice}</p>`}
    <p>Sign in to create and manage your API keys and to see your usage.</p>
    <p><a class="button" href=${SIGN_IN_URL}>Sign in</a></p>
  </main>`;
}

function Portal({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const [version, setVersion] = useState(0);
  const keys = useLoad(() => portalApi<{ items: KeyObject[] }>("GET", "/keys").then((answer) => answer.items), [version]);
  const limits = useLoad(() => portalApi<Me>("GET", "/me"), [version]);
  const changed = () => setVersion((v) => v + 1);
  const current = limits.data ?? me;
  return html`<a class="skip" href="#main" onClick=${(event: Event) => {
    event.preventDefault();
    document.getElementById("main")?.focus();
  }}>Skip to content</a>
    <header class="top">
      <strong class="brand">API keys</strong>
      <span class="who">${me.email ?? me.name ?? "Signed in"}</span>
      <button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">
      <h1>Developers</h1>
      <${ErrorLine} error=${keys.error} />
      ${keys.data ? html`<${KeysSection} me=${current} keys=${keys.data} onChanged=${changed} />` : html`<p>Loading…</p>`}
      <${PlanSection} me=${current} />
      <${UsageSection} keys=${keys.data ?? []} version=${version} />
    </main>`;
}

type State = { kind: "loading" } | { kind: "signedOut"; notice: string } | { kind: "signedIn"; me: Me } | { kind: "failed"; error: string };

function App() {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => onSignedOut(() => setState({ kind: "signedOut", notice: "Your session has ended; sign in again." })), []);
  useEffect(() => {
    portalApi<Me>("GET", "/me").then(
      (me) => setState({ kind: "signedIn", me }),
      (failure: Error) =>
        setState(
          failure instanceof ApiError && failure.status === 401
            ? { kind: "signedOut", notice: "" }
            : { kind: "failed", error: failure.message },
        ),
    );
  }, []);
  if (state.kind === "loading") return html`<main id="main"><p>Loading…</p></main>`;
  if (state.kind === "signedOut") return html`<${SignedOut} notice=${state.notice} />`;
  if (state.kind === "failed") return html`<main id="main" class="sign-in"><h1>API keys</h1><${ErrorLine} error=${state.error} /></main>`;
  return html`<${Portal}
    me=${state.me}
    onSignOut=${async () => {
      await signOut();
      setState({ kind: "signedOut", notice: "Signed out." });
    }}
  />`;
}

const root = document.getElementById("app");
if (root) render(html`<${App} />`, root);
