// The deciding object's one alarm, shared by its jobs: copying usage to D1 within
// LAST_USED_FLUSH_MS, sending webhook alerts ALERT_DELAY_MS after the decision that raised them, and
// the object's end of life (retirement.ts).
import { ALERT_DELAY_MS } from "../webhooks/key-alerts";

/** How long a key's last use and usage counts may wait before they are copied to D1 (by alarm, off the request path). */
export const LAST_USED_FLUSH_MS = 60_000;

/** Sets the object's alarm at most once per run, so steady traffic never keeps postponing it. */
export class ObjectAlarm {
  private flushScheduled = false;
  private alertScheduled = false;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Counted usage and last use reach D1 by an alarm at most LAST_USED_FLUSH_MS later. */
  flushSoon(now: number): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void this.storage.setAlarm(now + LAST_USED_FLUSH_MS);
  }

  /** Alerts go out from the alarm, moments after the decision that raised them (the alarm also flushes usage). */
  alertSoon(now: number): void {
    // Set once until the alarm runs: moving it on every request would postpone it under steady traffic.
    if (this.alertScheduled) return;
    this.alertScheduled = true;
    this.flushScheduled = true;
    void this.storage.setAlarm(now + ALERT_DELAY_MS);
  }

  /**
   * The object's end of life at `at`: set now unless an earlier run is pending (that run sets it
   * after its work, `afterRun`).
   */
  retireAt(at: number): void {
    if (this.flushScheduled || this.alertScheduled) return;
    void this.storage.setAlarm(at);
  }

  /** After a run's work: the next run at `retireAt`, unless something noted during the run set an earlier one. */
  async afterRun(retireAt: number | undefined): Promise<void> {
    if (retireAt === undefined || this.flushScheduled || this.alertScheduled) return;
    await this.storage.setAlarm(retireAt);
  }

  /** The alarm has started: whatever is noted from now on needs a new one. */
  started(): void {
    this.flushScheduled = false;
    this.alertScheduled = false;
  }
}
