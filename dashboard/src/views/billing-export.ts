// The usage export's status on the Overview (docs/billing.md): shown only while BILLING_EXPORT is on.
import { html } from "htm/preact";
import { adminApi } from "../api";
import { ErrorLine, formatTime, useLoad } from "../ui";

interface BillingExportStatus {
  enabled: boolean;
  vendor: "stripe" | "openmeter" | null;
  intervalSeconds: number | null;
  closedThrough: string | null;
  pending: number;
  sent: number;
  failed: number;
  failures: { id: string; identityId: string; intervalStart: string; attempts: number; lastError: string | null }[];
  skipped: { identityId: string; intervalStart: string; reason: string }[];
}

const VENDOR = { stripe: "Stripe", openmeter: "OpenMeter" } as const;
const SHOWN = 5;

export function BillingExportPanel() {
  const status = useLoad(() => adminApi<BillingExportStatus>("GET", "/billing/export"), []);
  const data = status.data;
  if (status.error)
    return html`<section aria-labelledby="billing-title"><h2 id="billing-title">Usage export</h2><${ErrorLine} error=${status.error} /></section>`;
  if (!data?.enabled || !data.vendor) return null;
  return html`<section aria-labelledby="billing-title">
    <h2 id="billing-title">Usage export to ${VENDOR[data.vendor]}</h2>
    <dl class="facts">
      <dt>Interval</dt><dd>${(data.intervalSeconds ?? 0) / 3600} h</dd>
      <dt>Closed through</dt><dd>${formatTime(data.closedThrough)}</dd>
      <dt>Pending</dt><dd>${data.pending}</dd>
      <dt>Sent</dt><dd>${data.sent}</dd>
      <dt>Failed</dt><dd>${data.failed}</dd>
      <dt>Skipped identities</dt><dd>${data.skipped.length}</dd>
    </dl>
    ${
      data.failures.length > 0 &&
      html`<div class="table-scroll"><table>
        <caption>Failures</caption>
        <thead><tr><th scope="col">Identity</th><th scope="col">Interval</th><th scope="col" class="number">Attempts</th><th scope="col">Last error</th></tr></thead>
        <tbody>${data.failures
          .slice(0, SHOWN)
          .map(
            (f) =>
              html`<tr><td><code>${f.identityId}</code></td><td>${formatTime(f.intervalStart)}</td><td class="number">${f.attempts}</td><td>${f.lastError ?? "—"}</td></tr>`,
          )}</tbody>
      </table></div>`
    }
    ${
      data.skipped.length > 0 &&
      html`<p>Skipped (no <code>stripeCustomerId</code> in metadata): ${data.skipped
        .slice(0, SHOWN)
        .map((s) => s.identityId)
        .join(", ")}${data.skipped.length > SHOWN ? ", …" : ""}</p>`
    }
  </section>`;
}
