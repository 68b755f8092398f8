// The customer's plan, and what is left of the limits and quota all their keys share.
import { html } from "htm/preact";
import type { Me } from "./api";

const per = (seconds: number) =>
  seconds === 1 ? "second" : seconds === 60 ? "minute" : seconds === 3600 ? "hour" : seconds === 86400 ? "day" : `${seconds} s`;

export function PlanSection({ me }: { me: Me }) {
  const { plan, quota } = me;
  return html`<section aria-labelledby="plan-title" class="panel">
    <h2 id="plan-title">Plan${plan ? html`: <span class="plan-name">${plan.name}</span>` : ""}</h2>
    ${!plan && html`<p>No plan: the API owner sets your limits.</p>`}
    ${
      me.ratelimits.length === 0
        ? html`<p>No rate limits shared by your keys.</p>`
        : html`<ul class="limits">
            ${me.ratelimits.map(
              (limit) =>
                html`<li><strong>${limit.limit}</strong> requests per ${per(limit.window)} (${limit.name}): <span class="remaining">${limit.remaining} left</span>${limit.remaining < limit.limit ? `, all back in ${limit.reset} s` : ""}</li>`,
            )}
          </ul>`
    }
    ${
      quota
        ? html`<div class="quota">
            <label for="quota-meter">Quota: ${quota.used} of ${quota.limit} used ${quota.period === "total" ? "in total" : `this UTC ${quota.period}`}, ${quota.remaining} left</label>
            <meter id="quota-meter" min="0" max=${quota.limit} low=${quota.limit * 0.8} high=${quota.limit * 0.95} optimum="0" value=${quota.used}></meter>
          </div>`
        : html`<p>No quota.</p>`
    }
    ${
      plan &&
      html`<p class="hint">
        ${plan.maxKeys === null ? "Any number of keys" : `Up to ${plan.maxKeys} live keys`}; ${plan.allowedScopes === null ? "any scopes" : plan.allowedScopes.length ? `scopes: ${plan.allowedScopes.join(", ")}` : "no scopes"}.
      </p>`
    }
  </section>`;
}
