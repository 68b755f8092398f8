// The client of the usage export's outbox (one BillingOutbox object): the cron's tick and the
// admin routes' status and resend go through here with its timeout (docs/billing.md).
import type { Env } from "../env";
import { boundedCall } from "../objects/bounded-call";
import { BILLING_OUTBOX_NAME } from "../objects/names";
import type { BillingExportStatus, ResendResult } from "./outbox";

/**
 * A tick or a resend reads D1 for every interval it closes (up to MAX_RESEND_INTERVALS), so it gets
 * longer than LIMITER_TIMEOUT_MS; past it the caller is answered 503 and the object finishes the work.
 */
export const BILLING_OUTBOX_TIMEOUT_MS = 30_000;

/** What the cron and the admin routes ask of the export's outbox. */
export interface BillingExport {
  /** Closes the intervals due and schedules the outbox's alarm. */
  tick(): Promise<void>;
  /** Queues the closed intervals of [from, to) again; undefined when the export is off. */
  resend(from: number, to: number): Promise<ResendResult | undefined>;
  status(): Promise<BillingExportStatus>;
}

/** Reaches the outbox through its binding; every failure or timeout becomes a `limiter_unavailable` GatewayError. */
export class DurableBillingExport implements BillingExport {
  constructor(
    private readonly env: Pick<Env, "BILLING_OUTBOX">,
    private readonly timeoutMs = BILLING_OUTBOX_TIMEOUT_MS,
  ) {}

  tick(): Promise<void> {
    return boundedCall(() => this.outbox().tick(), this.timeoutMs, "The usage export could not be woken.");
  }

  resend(from: number, to: number): Promise<ResendResult | undefined> {
    return boundedCall(() => this.outbox().resend(from, to), this.timeoutMs, "The span could not be queued again; retry the call.");
  }

  status(): Promise<BillingExportStatus> {
    return boundedCall(() => this.outbox().status(), this.timeoutMs, "The export's outbox could not be reached; retry the call.");
  }

  private outbox() {
    return this.env.BILLING_OUTBOX.getByName(BILLING_OUTBOX_NAME);
  }
}

export const billingExport = (env: Pick<Env, "BILLING_OUTBOX">): BillingExport => new DurableBillingExport(env);
