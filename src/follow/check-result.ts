import type { M365Error } from '../core/errors.js';
import type { Coverage, SnapshotDiff } from '../ingest/diff.js';
import type { Snapshot } from '../core/types.js';
import type { Gate } from './gates.js';
import type { UpstreamQuery } from './query.js';
import type { PersistedStatus, StateStore } from './state-store.js';
import type { Timers } from './timers.js';
import type { UpstreamClient } from './web-service-client.js';

/** What the updater takes and tells: its options, a check's result, its status. */

export type DataSource = 'state' | 'upstream' | 'file' | 'bootstrap';

export interface DataInUse<T> {
  readonly snapshot: Snapshot;
  readonly index: T;
  readonly source: DataSource;
}

export type CheckOutcome = 'updated' | 'current' | 'refused' | 'failed' | 'rate-limited';

export interface CheckResult {
  readonly outcome: CheckOutcome;
  readonly forced: boolean;
  readonly versionBefore: string;
  readonly versionInUse: string;
  readonly latest: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly error: M365Error | null;
  /** Which gate refused, when outcome is 'refused'. */
  readonly gate: Gate | null;
  readonly coverage: Coverage | null;
  readonly diff: SnapshotDiff | null;
  readonly warnings: readonly M365Error[];
}

/** What a check found beside its outcome; what is absent is null in the result (warnings empty). */
export interface ResultParts {
  readonly latest?: string | null;
  readonly error?: M365Error;
  readonly gate?: Gate;
  readonly coverage?: Coverage | null;
  readonly diff?: SnapshotDiff;
  readonly warnings?: M365Error[];
}

/** `started` and `finished` in ms since the epoch. */
export function checkResult(outcome: CheckOutcome, forced: boolean, versionBefore: string, versionInUse: string, started: number, finished: number, r: ResultParts): CheckResult {
  return {
    outcome,
    forced,
    versionBefore,
    versionInUse,
    latest: r.latest ?? null,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    error: r.error ?? null,
    gate: r.gate ?? null,
    coverage: r.coverage ?? null,
    diff: r.diff ?? null,
    warnings: r.warnings ?? [],
  };
}

export interface AppliedUpdate<T> {
  readonly previous: Snapshot;
  readonly snapshot: Snapshot;
  readonly index: T;
  readonly diff: SnapshotDiff;
  readonly forced: boolean;
}

export interface UpdaterStatus {
  readonly running: boolean;
  readonly checking: boolean;
  readonly upstream: string;
  readonly query: UpstreamQuery;
  readonly versionInUse: string;
  readonly source: DataSource;
  readonly latestSeen: string | null;
  readonly lastAttempt: string | null;
  readonly lastSuccess: string | null;
  readonly lastOutcome: CheckOutcome | null;
  readonly lastErrorCode: string | null;
  readonly lastErrorMessage: string | null;
  readonly consecutiveFailures: number;
  readonly stale: boolean;
  readonly staleAfterSeconds: number;
  /** Seconds since the data in use was last confirmed current (or fetched); null if never. */
  readonly dataAgeSeconds: number | null;
  readonly nextCheck: string | null;
  readonly backoffUntil: string | null;
  readonly refusedVersion: string | null;
  readonly pollIntervalSeconds: number;
  readonly maxShrink: number;
  readonly counts: { readonly checks: number; readonly updates: number; readonly refusals: number; readonly failures: number };
}

export interface UpdaterOptions<T> {
  readonly client: UpstreamClient;
  /** Builds the index for a validated snapshot (createClassifier); may throw a coded error. */
  readonly build: (snapshot: Snapshot) => T;
  readonly initial: DataInUse<T>;
  /** Swaps the new index in; called before the 'update' event. */
  readonly publish?: ((update: AppliedUpdate<T>) => void) | undefined;
  readonly store?: StateStore | null | undefined;
  /** What the state dir remembers of earlier runs (StateStore.readStatus). */
  readonly persisted?: PersistedStatus | null | undefined;
  readonly pollIntervalMs?: number | undefined;
  /** Each wait is the interval plus up to this share of it, at random: never shorter. */
  readonly jitter?: number | undefined;
  readonly maxShrink?: number | undefined;
  readonly staleAfterMs?: number | undefined;
  /** How long to wait after a 429 without Retry-After: Microsoft says an hour. */
  readonly rateLimitBackoffMs?: number | undefined;
  readonly timers?: Timers | undefined;
  readonly random?: (() => number) | undefined;
}

export const DEFAULT_POLL_INTERVAL_MS = 3_600_000;
export const DEFAULT_STALE_AFTER_MS = 3 * 86_400_000;
export const DEFAULT_MAX_SHRINK = 0.5;

export type ReloadOutcome = 'reloaded' | 'unchanged' | 'refused' | 'failed';

/** One re-read of the state dir or the data file (the watcher, SIGHUP), as status and logs show it. */
export interface ReloadReport {
  readonly at: string;
  /** What was re-read: the state dir's last-known-good, the --data file, or nothing to re-read. */
  readonly from: 'state' | 'file' | 'none';
  /** What made it re-read: the state-dir watcher or a signal. */
  readonly trigger: 'watch' | 'signal';
  readonly outcome: ReloadOutcome;
  /** The version offered; null when nothing could be read. */
  readonly version: string | null;
  readonly versionInUse: string;
  readonly gate: Gate | null;
  readonly errorCode: string | null;
  readonly message: string | null;
}
