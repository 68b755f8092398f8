// The operators' dashboard: one page, views chosen by the URL hash, every call to the admin API.
// First: a locale Intl accepts, before the chart library reads navigator.language on load.
import "./locale";
import { html, render } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { documentedAdminPaths, onUnauthorized, session } from "./api";
import { AuditView } from "./views/audit";
import { CreateKeyView } from "./views/create-key";
import { IdentitiesView, IdentityDetailView } from "./views/identities";
import { KeyDetailView } from "./views/key-detail";
import { KeysView } from "./views/keys";
import { OperatorsView } from "./views/operators";
import { OverviewView } from "./views/overview";
import { PlansView } from "./views/plans";
import { SignIn } from "./views/sign-in";
import { WebhookDetailView, WebhooksView } from "./views/webhooks";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return hash;
}

/** `needs`: an admin path the gateway must document for the view to be offered. */
const NAV: { href: string; label: string; needs?: string }[] = [
  { href: "#/", label: "Overview" },
  { href: "#/keys", label: "Keys" },
  { href: "#/keys/new", label: "Create key" },
  { href: "#/identities", label: "Identities", needs: "/admin/identities" },
  { href: "#/audit", label: "Audit log" },
  { href: "#/operators", label: "Operators", needs: "/admin/operators" },
  { href: "#/plans", label: "Plans", needs: "/admin/plans" },
  { href: "#/webhooks", label: "Webhooks", needs: "/admin/webhooks" },
];

function view(hash: string, paths: Set<string>) {
  const [route = "", query = ""] = hash.replace(/^#/, "").split("?");
  const [, section = "", id] = route.split("/");
  if (section === "keys" && id === "new") return html`<${CreateKeyView} />`;
  if (section === "keys" && id) return html`<${KeyDetailView} id=${decodeURIComponent(id)} />`;
  if (section === "keys") return html`<${KeysView} usageAvailable=${paths.has("/admin/usage")} />`;
  if (section === "identities" && id) return html`<${IdentityDetailView} id=${decodeURIComponent(id)} />`;
  if (section === "identities") return html`<${IdentitiesView} />`;
  if (section === "operators" && paths.has("/admin/operators")) return html`<${OperatorsView} />`;
  if (section === "plans" && paths.has("/admin/plans")) return html`<${PlansView} />`;
  if (section === "webhooks" && id && paths.has("/admin/webhooks")) return html`<${WebhookDetailView} id=${decodeURIComponent(id)} />`;
  if (section === "webhooks" && paths.has("/admin/webhooks")) return html`<${WebhooksView} />`;
  if (section === "audit") return html`<${AuditView} keyId=${new URLSearchParams(query).get("keyId") ?? ""} />`;
  return html`<${OverviewView} usageAvailable=${paths.has("/admin/usage")} billingAvailable=${paths.has("/admin/billing/export")} />`;
}

function currentNav(hash: string): string {
  if (hash.startsWith("#/keys/new")) return "#/keys/new";
  if (hash.startsWith("#/keys")) return "#/keys";
  if (hash.startsWith("#/identities")) return "#/identities";
  if (hash.startsWith("#/audit")) return "#/audit";
  if (hash.startsWith("#/operators")) return "#/operators";
  if (hash.startsWith("#/plans")) return "#/plans";
  if (hash.startsWith("#/webhooks")) return "#/webhooks";
  return "#/";
}

function App() {
  const [signedIn, setSignedIn] = useState(session.token() !== null);
  const [notice, setNotice] = useState("");
  const [paths, setPaths] = useState<Set<string> | undefined>();
  const hash = useHash();

  useEffect(
    () =>
      onUnauthorized(() => {
        session.signOut();
        setSignedIn(false);
        setNotice("The gateway refused the token; sign in again.");
      }),
    [],
  );
  useEffect(() => {
    void documentedAdminPaths().then(setPaths);
  }, []);
  useEffect(() => {
    document.getElementById("main")?.focus();
  }, [hash]);

  if (!signedIn) {
    return html`<${SignIn}
      notice=${notice}
      onSignedIn=${() => {
        setNotice("");
        setSignedIn(true);
      }}
    />`;
  }
  const signOut = () => {
    session.signOut();
    setNotice("Signed out.");
    setSignedIn(false);
  };
  const active = currentNav(hash);
  return html`<a class="skip" href="#main" onClick=${(event: Event) => {
    event.preventDefault();
    document.getElementById("main")?.focus();
  }}>Skip to content</a>
    <header class="top">
      <strong class="brand">Gateway</strong>
      <nav aria-label="Dashboard">
        <ul>
          ${NAV.filter((item) => !item.needs || paths?.has(item.needs)).map(
            (item) => html`<li><a href=${item.href} aria-current=${item.href === active ? "page" : undefined}>${item.label}</a></li>`,
          )}
        </ul>
      </nav>
      <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">${paths ? view(hash, paths) : html`<p>Loading…</p>`}</main>`;
}

const root = document.getElementById("app");
if (root) render(html`<${App} />`, root);
