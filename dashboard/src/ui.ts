// Small pieces every view uses: loading state, error line, dates, the reveal-once dialog.
import { html } from "htm/preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => void;
}

/** Runs `load` when `deps` change; a newer run wins over an older one still in flight. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState("");
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setError("");
    load().then(
      (value) => current && setData(value),
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { data, error, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

export const ErrorLine = ({ error }: { error: string }) => (error ? html`<p class="error" role="alert">${error}</p>` : null);

export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A secret shown once (a new key or token) in a modal dialog, with a copy button and the warning. */
/** A small button that copies `text` (an id) and says so; where the clipboard is blocked it says that instead. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid("Copied");
    } catch {
      setSaid("Copy blocked");
    }
    setTimeout(() => setSaid(""), 2000);
  };
  return html`<button type="button" class="secondary copy" aria-label=${label} onClick=${copy}>${said || "Copy"}</button><span class="visually-hidden" role="status">${said}</span>`;
}

/** `note`: what the gateway keeps of the secret, and what to do if it is lost. */
export function RevealDialog({
  title,
  secret,
  onClose,
  note = { kept: "The gateway keeps only its hash.", lost: "a lost key must be rotated." },
}: {
  title: string;
  secret: string;
  onClose: () => void;
  note?: { kept: string; lost: string };
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [copied, setCopied] = useState("");
  const [leaving, setLeaving] = useState(false);
  // Escape (or any other close request) asks first: the secret cannot be shown again.
  const askFirst = (event: Event) => {
    event.preventDefault();
    setLeaving(true);
  };
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied to the clipboard.");
    } catch {
      (dialog.current?.querySelector("#revealed-secret") as HTMLInputElement | null)?.select();
      setCopied("Copying is blocked here: the secret is selected, press Ctrl+C.");
    }
  };
  return html`<dialog
    ref=${dialog}
    class="reveal"
    aria-labelledby="reveal-title"
    onClose=${onClose}
    onCancel=${askFirst}
    onKeyDown=${(event: KeyboardEvent) => event.key === "Escape" && askFirst(event)}
  >
    <h2 id="reveal-title">${title}</h2>
    <p class="warning"><strong>Copy it now: it will not be shown again.</strong> ${note.kept}</p>
    <label for="revealed-secret">Secret</label>
    <input id="revealed-secret" class="secret" readonly value=${secret} onFocus=${(event: Event) => (event.target as HTMLInputElement).select()} />
    <div class="actions">
      <button type="button" onClick=${copy}>Copy</button>
      <button type="button" class="secondary" onClick=${() => dialog.current?.close()}>I have stored it</button>
    </div>
    <p role="status">${copied}</p>
    ${
      leaving &&
      html`<div class="confirm-close" role="alertdialog" aria-labelledby="leave-title">
        <p id="leave-title"><strong>Close without the secret?</strong> It cannot be shown again; ${note.lost}</p>
        <button type="button" class="danger" onClick=${() => dialog.current?.close()}>Close, I have stored it</button>
        <button type="button" class="secondary" onClick=${() => setLeaving(false)}>Back to the secret</button>
      </div>`
    }
  </dialog>`;
}
