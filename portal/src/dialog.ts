// A modal dialog (native <dialog>: focus kept inside, Escape closes, the page behind inert), titled
// for screen readers; `alert` marks one that asks to confirm a destructive step.
import { html } from "htm/preact";
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Modal({
  id,
  title,
  alert = false,
  onClose,
  children,
}: {
  id: string;
  title: string;
  alert?: boolean;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return html`<dialog
    ref=${dialog}
    class="reveal"
    role=${alert ? "alertdialog" : "dialog"}
    aria-modal="true"
    aria-labelledby=${`${id}-title`}
    onClose=${onClose}
  >
    <h2 id=${`${id}-title`}>${title}</h2>
    ${children}
  </dialog>`;
}
