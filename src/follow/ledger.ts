import { ERROR_CODES, M365Error, type ErrorCode } from '../core/errors.js';
import type { CheckOutcome, DataInUse, UpdaterStatus } from './check-result.js';
import type { Refusal } from './gates.js';
import type { UpstreamQuery } from './query.js';
import type { PersistedStatus } from './state-store.js';

/**
 * What the updater remembers of its checks: when it last asked and succeeded, the last error,
 * the 429 back-off, the version a gate refused (not downloaded again), and counters. The part
 * that survives a restart goes to the state dir as updater-status.json (`persisted`); all of it,
 * with the updater's loop and data, makes the status (`status`).
 */

/** What the status shows beyond the ledger: the updater's settings, its loop and the data in use. */
export interface UpdaterState {
  readonly now: number;
  readonly running: boolean;
  readonly checking: boolean;
  readonly upstream: string;
  readonly query: UpstreamQuery;
  readonly data: DataInUse<unknown>;
  readonly nextCheckAt: number | null;
  readonly staleAfterMs: number;
  readonly pollIntervalMs: number;
  readonly maxShrink: number;
}

/** A code read back from the state dir: kept when we know it, else named as unexpected. */
function remembered(code: string, message: string): M365Error {
  const known = (ERROR_CODES as readonly string[]).includes(code);
  return new M365Error(known ? (code as ErrorCode) : 'M365FC_ERR_UPDATE_UNEXPECTED', message, known ? {} : { code });
}

export class CheckLedger {
  lastAttempt: number | null = null;
  lastSuccess: number | null = null;
  lastOutcome: CheckOutcome | null = null;
  lastError: M365Error | null = null;
  consecutiveFailures = 0;
  backoffUntil: number | null = null;
  refusedVersion: string | null = null;
  refusedError: M365Error | null = null;
  latestSeen: string | null = null;
  readonly counts = { checks: 0, updates: 0, refusals: 0, failures: 0 };

  constructor(p: PersistedStatus | null) {
    if (p === null) return;
    this.adopt(p, 'from the previous run');
    this.refusedError = p.refusedVersion !== null && p.refusedCode !== null ? remembered(p.refusedCode, `Version ${p.refusedVersion} was refused before`) : null;
  }

  /** Takes the bookkeeping of the process that polls for a shared state dir (or of an earlier run). */
  adopt(p: PersistedStatus, why = 'reported by the process that polls'): void {
    this.lastAttempt = p.lastAttempt;
    this.lastSuccess = p.lastSuccess;
    this.consecutiveFailures = p.consecutiveFailures;
    this.backoffUntil = p.backoffUntil;
    this.refusedVersion = p.refusedVersion;
    this.lastError = p.lastErrorCode !== null ? remembered(p.lastErrorCode, why) : null;
  }

  get persisted(): PersistedStatus {
    return {
      lastAttempt: this.lastAttempt,
      lastSuccess: this.lastSuccess,
      lastErrorCode: this.lastError?.code ?? null,
      consecutiveFailures: this.consecutiveFailures,
      backoffUntil: this.backoffUntil,
      refusedVersion: this.refusedVersion,
      refusedCode: this.refusedError?.code ?? null,
    };
  }

  /** The status /v1/version, /readyz and /metrics show. The data counts as confirmed when fetched, if never checked since. */
  status(u: UpdaterState): UpdaterStatus {
    const now = u.now;
    const fetched = u.data.snapshot.fetchedAt !== null ? Date.parse(u.data.snapshot.fetchedAt) : NaN;
    const confirmed = this.lastSuccess ?? (Number.isNaN(fetched) ? null : fetched);
    const age = confirmed === null ? null : Math.max(0, now - confirmed);
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      running: u.running,
      checking: u.checking,
      upstream: u.upstream,
      query: u.query,
      versionInUse: u.data.snapshot.version,
      source: u.data.source,
      latestSeen: this.latestSeen,
      lastAttempt: iso(this.lastAttempt),
      lastSuccess: iso(this.lastSuccess),
      lastOutcome: this.lastOutcome,
      lastErrorCode: this.lastError?.code ?? null,
      lastErrorMessage: this.lastError?.message ?? null,
      consecutiveFailures: this.consecutiveFailures,
      stale: age === null || age > u.staleAfterMs,
      staleAfterSeconds: Math.round(u.staleAfterMs / 1000),
      dataAgeSeconds: age === null ? null : Math.floor(age / 1000),
      nextCheck: iso(u.nextCheckAt),
      backoffUntil: this.backoffUntil !== null && this.backoffUntil > now ? iso(this.backoffUntil) : null,
      refusedVersion: this.refusedVersion,
      pollIntervalSeconds: Math.round(u.pollIntervalMs / 1000),
      maxShrink: u.maxShrink,
      counts: { ...this.counts },
    };
  }

  attempted(now: number): void {
    this.lastAttempt = now;
    this.counts.checks++;
  }

  succeeded(outcome: 'updated' | 'current', now: number, warnings: readonly M365Error[]): void {
    this.lastSuccess = now;
    this.lastOutcome = outcome;
    this.lastError = warnings[0] ?? null;
    this.consecutiveFailures = 0;
    if (outcome === 'updated') {
      this.counts.updates++;
      this.refusedVersion = null;
      this.refusedError = null;
    }
  }

  refused(r: Refusal): void {
    this.counts.refusals++;
    this.consecutiveFailures++;
    this.lastOutcome = 'refused';
    this.lastError = r.error;
    // An older version is not remembered: the next newer one is asked for anyway.
    if (r.gate !== 'version') {
      this.refusedVersion = this.latestSeen;
      this.refusedError = r.error;
    }
  }

  /** A fault upstream; returns the outcome it counts as. */
  failed(error: M365Error, now: number, backoffMs: number): 'failed' | 'rate-limited' {
    this.counts.failures++;
    this.consecutiveFailures++;
    this.lastError = error;
    const limited = error.code === 'M365FC_ERR_UPSTREAM_RATE_LIMITED';
    if (limited) this.backOff(error, now, backoffMs);
    this.lastOutcome = limited ? 'rate-limited' : 'failed';
    return this.lastOutcome;
  }

  /** As long as Retry-After says, else `defaultMs` (an hour: Microsoft's word). */
  backOff(error: M365Error, now: number, defaultMs: number): void {
    const retryAfter = error.details['retryAfterMs'];
    const wait = typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : defaultMs;
    this.backoffUntil = now + wait;
  }

  /** The error to refuse with when `latest` was refused before by a gate other than version. */
  refusedBefore(latest: string): Refusal['error'] | null {
    if (latest !== this.refusedVersion || this.refusedError === null) return null;
    const e = this.refusedError;
    return new M365Error(e.code, e.message, { ...e.details, latest, alreadyRefused: true });
  }
}
