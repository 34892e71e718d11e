import type { CheckLedger } from './ledger.js';
import type { Timers } from './timers.js';

/**
 * When the updater checks next. After each check: the interval plus up to `jitter` of it at
 * random (never shorter), and never inside a 429 back-off. At start: not sooner than the
 * interval after the last attempt recorded in the ledger, nor inside its back-off.
 */

// setTimeout takes at most 2^31-1 ms (24.8 days); a longer Retry-After waits in steps.
const MAX_TIMER_MS = 2_147_483_647;

export interface CheckScheduleOptions {
  readonly timers: Timers;
  readonly random: () => number;
  readonly pollIntervalMs: number;
  readonly jitter: number;
  /** Called when a check is due. */
  readonly check: () => void;
}

export class CheckSchedule {
  /** True between start and stop. */
  running = false;
  /** When the next check is due (ms since the epoch); null while none is planned. */
  nextAt: number | null = null;
  private timer: unknown = null;

  constructor(private readonly o: CheckScheduleOptions) {}

  /**
   * Starts the loop. `dataFromState` says the data in use came from the state dir: then the last
   * attempt of an earlier run counts as well as one of this process.
   */
  start(l: CheckLedger, dataFromState: boolean): void {
    if (this.running) return;
    this.running = true;
    let at = this.o.timers.now();
    // Not more often than the interval: after a check of this process (one at start-up), or of
    // an earlier run whose data (from the state dir) is in use.
    if (l.lastAttempt !== null && (dataFromState || l.counts.checks > 0)) at = Math.max(at, l.lastAttempt + this.o.pollIntervalMs);
    if (l.backoffUntil !== null) at = Math.max(at, l.backoffUntil);
    this.at(at);
  }

  /** Plans the check after the one just done. */
  next(l: CheckLedger): void {
    let at = this.o.timers.now() + this.o.pollIntervalMs * (1 + this.o.jitter * this.o.random());
    if (l.backoffUntil !== null) at = Math.max(at, l.backoffUntil);
    this.at(Math.round(at));
  }

  stop(): void {
    this.running = false;
    this.clearTimer();
    this.nextAt = null;
  }

  private at(at: number): void {
    const timers = this.o.timers;
    this.clearTimer();
    this.nextAt = at;
    const wait = Math.max(0, at - timers.now());
    this.timer = timers.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      if (timers.now() < at) {
        this.at(at);
        return;
      }
      this.o.check();
    }, Math.min(wait, MAX_TIMER_MS));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
