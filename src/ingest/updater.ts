import { EventEmitter } from 'node:events';
import { M365Error, isM365Error } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import { diffSnapshots, measureCoverage, type Coverage, type CoverageScope, type SnapshotDiff } from './diff.js';
import { UNKNOWN_VERSION, snapshotFromSets } from './parse-endpoints.js';
import type { PersistedStatus, StateStore } from './state-store.js';
import type { ChangeRecord, UpstreamClient, UpstreamQuery } from './web-service-client.js';

/**
 * Follows Microsoft's web service. One check: GET /version; only when `latest` differs from the
 * version in use, GET /endpoints (and /changes for enrichment). A new version is used only when
 * it parses and validates completely, is newer than the one in use, and does not lose more than
 * `maxShrink` of the covered IPv4 or IPv6 address space or of the host patterns (unless forced).
 * The index is built off to the side by `build`; `publish` swaps it in. Faults never touch the
 * data in use; they show in `status()` and as events.
 *
 * Events: 'checking', 'checked' (CheckResult), 'update' (AppliedUpdate), 'refused' (CheckResult),
 * 'failure' (CheckResult), 'status' (UpdaterStatus), 'warning' (CheckError).
 */

/** Injected in tests so that nothing sleeps for real. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The poll timer alone must not keep a process alive.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type DataSource = 'state' | 'upstream' | 'file' | 'bootstrap';

export interface DataInUse<T> {
  readonly snapshot: Snapshot;
  readonly index: T;
  readonly source: DataSource;
}

export type CheckOutcome = 'updated' | 'current' | 'refused' | 'failed' | 'rate-limited';
export type Gate = 'version' | 'validate' | 'shrink';

export interface CheckError {
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface CheckResult {
  readonly outcome: CheckOutcome;
  readonly forced: boolean;
  readonly versionBefore: string;
  readonly versionInUse: string;
  readonly latest: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly error: CheckError | null;
  /** Which gate refused, when outcome is 'refused'. */
  readonly gate: Gate | null;
  readonly coverage: Coverage | null;
  readonly diff: SnapshotDiff | null;
  readonly warnings: readonly CheckError[];
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
// setTimeout takes at most 2^31-1 ms (24.8 days); a longer Retry-After waits in steps.
const MAX_TIMER_MS = 2_147_483_647;

class Refusal extends Error {
  constructor(
    readonly gate: Gate,
    readonly error: CheckError,
    readonly coverage: Coverage | null = null,
  ) {
    super(error.message);
  }
}

function toCheckError(err: unknown): CheckError {
  if (isM365Error(err)) return { code: err.code, message: err.message, details: err.details };
  const e = err as Error;
  return { code: 'M365FC_ERR_SERVE_INTERNAL', message: e?.message ?? String(err), details: {} };
}

/** The query a snapshot was fetched with, read back from its origin URL; null if not from /endpoints. */
export function queryOfOrigin(origin: string): UpstreamQuery | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const m = /\/endpoints\/([^/]+)$/i.exec(url.pathname);
  if (!m) return null;
  const p = url.searchParams;
  const areas = p.get('ServiceAreas');
  const tenant = p.get('TenantName');
  return {
    instance: decodeURIComponent(m[1] as string) as UpstreamQuery['instance'],
    ...(tenant !== null ? { tenantName: tenant } : {}),
    ...(p.get('NoIPv6') === 'true' ? { noIPv6: true } : {}),
    ...(areas !== null && areas !== '' ? { serviceAreas: areas.split(',') } : {}),
  };
}

function areasKey(a: readonly string[] | undefined): string {
  return (a ?? []).map((x) => x.toLowerCase()).sort().join(',');
}

/** True when `snapshot` was fetched with exactly `query`: only then is an equal version the same data. */
export function fetchedWith(snapshot: Snapshot, query: UpstreamQuery): boolean {
  const q = queryOfOrigin(snapshot.origin);
  return (
    q !== null &&
    q.instance.toLowerCase() === query.instance.toLowerCase() &&
    (q.tenantName ?? '').toLowerCase() === (query.tenantName ?? '').toLowerCase() &&
    (q.noIPv6 === true) === (query.noIPv6 === true) &&
    areasKey(q.serviceAreas) === areasKey(query.serviceAreas)
  );
}

export class Updater<T> extends EventEmitter {
  private readonly client: UpstreamClient;
  private readonly build: (snapshot: Snapshot) => T;
  private readonly publishFn: ((update: AppliedUpdate<T>) => void) | undefined;
  private readonly store: StateStore | null;
  private readonly timers: Timers;
  private readonly random: () => number;
  readonly pollIntervalMs: number;
  readonly jitter: number;
  readonly maxShrink: number;
  readonly staleAfterMs: number;
  readonly rateLimitBackoffMs: number;

  private data: DataInUse<T>;
  private started = false;
  private timer: unknown = null;
  private nextCheckAt: number | null = null;
  private running: Promise<CheckResult> | null = null;
  private abort: AbortController | null = null;

  private lastAttempt: number | null;
  private lastSuccess: number | null;
  private lastOutcome: CheckOutcome | null = null;
  private lastError: CheckError | null = null;
  private consecutiveFailures: number;
  private backoffUntil: number | null;
  private refusedVersion: string | null;
  private refusedError: CheckError | null;
  private latestSeen: string | null = null;
  private counts = { checks: 0, updates: 0, refusals: 0, failures: 0 };

  constructor(o: UpdaterOptions<T>) {
    super();
    this.client = o.client;
    this.build = o.build;
    this.publishFn = o.publish;
    this.store = o.store ?? null;
    this.timers = o.timers ?? systemTimers;
    this.random = o.random ?? Math.random;
    this.pollIntervalMs = o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.jitter = o.jitter ?? 0.1;
    this.maxShrink = o.maxShrink ?? DEFAULT_MAX_SHRINK;
    this.staleAfterMs = o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.rateLimitBackoffMs = o.rateLimitBackoffMs ?? 3_600_000;
    if (!(this.pollIntervalMs > 0) || !(this.maxShrink >= 0 && this.maxShrink <= 1) || !(this.jitter >= 0)) {
      throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', 'pollInterval must be > 0, jitter >= 0, maxShrink in [0, 1]', {
        pollIntervalMs: this.pollIntervalMs,
        maxShrink: this.maxShrink,
        jitter: this.jitter,
      });
    }
    this.data = o.initial;
    const p = o.persisted ?? null;
    this.lastAttempt = p?.lastAttempt ?? null;
    this.lastSuccess = p?.lastSuccess ?? null;
    this.consecutiveFailures = p?.consecutiveFailures ?? 0;
    this.backoffUntil = p?.backoffUntil ?? null;
    this.refusedVersion = p?.refusedVersion ?? null;
    this.refusedError =
      p?.refusedVersion != null && p.refusedCode != null ? { code: p.refusedCode, message: `Version ${p.refusedVersion} was refused before`, details: {} } : null;
    if (p?.lastErrorCode != null) this.lastError = { code: p.lastErrorCode, message: 'from the previous run', details: {} };
  }

  /** The data in use: what the service answers from. */
  get current(): DataInUse<T> {
    return this.data;
  }

  /**
   * Takes what another process sharing the state dir has accepted (its last-known-good and its
   * bookkeeping) without gates: that process checked the data when it fetched it.
   */
  adopt(data: DataInUse<T> | null, persisted: PersistedStatus | null = null): void {
    if (data) this.data = data;
    if (!persisted) return;
    this.lastAttempt = persisted.lastAttempt;
    this.lastSuccess = persisted.lastSuccess;
    this.consecutiveFailures = persisted.consecutiveFailures;
    this.backoffUntil = persisted.backoffUntil;
    this.refusedVersion = persisted.refusedVersion;
    this.lastError = persisted.lastErrorCode !== null ? { code: persisted.lastErrorCode, message: 'reported by the process that polls', details: {} } : null;
  }

  /** Starts the loop. The first check waits for the interval since the last attempt and any back-off. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.timers.now();
    let at = now;
    // Not more often than the interval: after a check of this process (one at start-up), or of
    // an earlier run whose data (from the state dir) is in use.
    if (this.lastAttempt !== null && (this.data.source === 'state' || this.counts.checks > 0)) {
      at = Math.max(at, this.lastAttempt + this.pollIntervalMs);
    }
    if (this.backoffUntil !== null) at = Math.max(at, this.backoffUntil);
    this.scheduleAt(at);
  }

  /** Stops the loop and aborts a check in flight. */
  async stop(): Promise<void> {
    this.started = false;
    this.clearTimer();
    this.nextCheckAt = null;
    this.abort?.abort();
    await this.running?.catch(() => undefined);
  }

  /**
   * One check now (what the timer, POST /v1/admin/refresh and `m365fc update` call). A check
   * already running is joined, not repeated. During a 429 back-off nothing is asked unless forced.
   * `force` also skips the version-order and shrink gates, never validation.
   */
  check(opts: { force?: boolean } = {}): Promise<CheckResult> {
    if (this.running) return this.running;
    const force = opts.force === true;
    const now = this.timers.now();
    if (!force && this.backoffUntil !== null && now < this.backoffUntil) return Promise.resolve(this.backingOff(now));
    // Started a tick later so that `running` is set before anything of the check can run.
    const p: Promise<CheckResult> = Promise.resolve().then(() => this.run(force));
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = null;
    });
    return p;
  }

  status(): UpdaterStatus {
    const now = this.timers.now();
    const fetched = this.data.snapshot.fetchedAt !== null ? Date.parse(this.data.snapshot.fetchedAt) : NaN;
    const confirmed = this.lastSuccess ?? (Number.isNaN(fetched) ? null : fetched);
    const age = confirmed === null ? null : Math.max(0, now - confirmed);
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      running: this.started,
      checking: this.running !== null,
      upstream: this.client.baseUrl,
      query: this.client.query,
      versionInUse: this.data.snapshot.version,
      source: this.data.source,
      latestSeen: this.latestSeen,
      lastAttempt: iso(this.lastAttempt),
      lastSuccess: iso(this.lastSuccess),
      lastOutcome: this.lastOutcome,
      lastErrorCode: this.lastError?.code ?? null,
      lastErrorMessage: this.lastError?.message ?? null,
      consecutiveFailures: this.consecutiveFailures,
      stale: age === null || age > this.staleAfterMs,
      staleAfterSeconds: Math.round(this.staleAfterMs / 1000),
      dataAgeSeconds: age === null ? null : Math.floor(age / 1000),
      nextCheck: iso(this.nextCheckAt),
      backoffUntil: this.backoffUntil !== null && this.backoffUntil > now ? iso(this.backoffUntil) : null,
      refusedVersion: this.refusedVersion,
      pollIntervalSeconds: Math.round(this.pollIntervalMs / 1000),
      maxShrink: this.maxShrink,
      counts: { ...this.counts },
    };
  }

  /** Not an attempt: upstream is not asked, and the counters do not move. */
  private backingOff(now: number): CheckResult {
    const until = new Date(this.backoffUntil ?? now).toISOString();
    const error: CheckError = { code: 'M365FC_ERR_UPDATE_BACKING_OFF', message: `Backing off after a 429 until ${until}`, details: { backoffUntil: until } };
    return this.result('rate-limited', false, this.data.snapshot.version, now, { error });
  }

  private async run(force: boolean): Promise<CheckResult> {
    const started = this.timers.now();
    const before = this.data.snapshot;
    this.lastAttempt = started;
    this.counts.checks++;
    const abort = new AbortController();
    this.abort = abort;
    this.emit('checking');
    const warnings: CheckError[] = [];
    let result: CheckResult;
    try {
      result = await this.attempt(force, before, started, abort.signal, warnings);
    } catch (err) {
      result = this.onError(err, force, before, started, warnings);
    } finally {
      this.abort = null;
    }
    await this.persist();
    if (this.started) this.scheduleNext();
    // Done before the events: a listener (or the next timer) may start the next check at once.
    this.running = null;
    this.emit('checked', result);
    if (result.outcome === 'refused') this.emit('refused', result);
    else if (result.outcome === 'failed' || result.outcome === 'rate-limited') this.emit('failure', result);
    this.emit('status', this.status());
    return result;
  }

  private async attempt(force: boolean, before: Snapshot, started: number, signal: AbortSignal, warnings: CheckError[]): Promise<CheckResult> {
    const query = this.client.query;
    const { latest } = await this.client.version(signal);
    this.latestSeen = latest;
    const inUse = before.version;
    const sameInstance = before.instance.toLowerCase() === query.instance.toLowerCase();
    if (!force && sameInstance) {
      if (latest === inUse && fetchedWith(before, query)) return this.succeed('current', force, before.version, started, latest, warnings);
      if (latest < inUse) {
        throw new Refusal('version', {
          code: 'M365FC_ERR_UPDATE_VERSION_BACKWARDS',
          message: `Upstream offers version ${latest}, older than ${inUse} in use`,
          details: { latest, inUse },
        });
      }
      if (latest === this.refusedVersion && this.refusedError) {
        // Refused before: not downloaded again until a newer version or a forced check.
        throw new Refusal(this.refusedError.code === 'M365FC_ERR_UPDATE_SHRINK' ? 'shrink' : 'validate', {
          ...this.refusedError,
          details: { ...this.refusedError.details, latest, alreadyRefused: true },
        });
      }
    }
    const response = await this.client.endpoints(signal);
    let snapshot: Snapshot;
    let index: T;
    try {
      snapshot = snapshotFromSets(response.data, {
        instance: query.instance,
        version: latest,
        fetchedAt: new Date(this.timers.now()).toISOString(),
        origin: response.url,
      });
      index = this.build(snapshot);
    } catch (err) {
      throw new Refusal('validate', toCheckError(err));
    }
    const scope: CoverageScope = { noIPv6: query.noIPv6, serviceAreas: query.serviceAreas };
    const coverage = measureCoverage(before, snapshot, scope);
    if (!force && sameInstance) this.shrinkGate(coverage);
    let records: ChangeRecord[] = [];
    if (inUse !== UNKNOWN_VERSION && sameInstance && latest > inUse) {
      try {
        records = await this.client.changes(inUse, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        // /changes only enriches the diff; its failure does not hold the update back.
        const e = toCheckError(err);
        warnings.push(e);
        this.emit('warning', e);
        if (e.code === 'M365FC_ERR_UPSTREAM_RATE_LIMITED') this.backOff(e);
      }
    }
    const diff = diffSnapshots(before, snapshot, records, scope);
    if (this.store) {
      try {
        await this.store.writeLastKnownGood(snapshot, new Date(this.timers.now()));
      } catch (err) {
        // The new data is good and is used; it just will not survive a restart.
        const e = toCheckError(err);
        warnings.push(e);
        this.emit('warning', e);
      }
    }
    if (signal.aborted) throw new M365Error('M365FC_ERR_UPDATE_STOPPED', 'The updater was stopped before the new version was published');
    const update: AppliedUpdate<T> = { previous: before, snapshot, index, diff, forced: force };
    this.data = { snapshot, index, source: 'upstream' };
    this.refusedVersion = null;
    this.refusedError = null;
    this.counts.updates++;
    this.publishFn?.(update);
    this.emit('update', update);
    return this.succeed('updated', force, before.version, started, latest, warnings, { coverage, diff });
  }

  private shrinkGate(c: Coverage): void {
    const losses: Array<[string, number]> = [
      ['ipv4', c.ipv4.lostShare],
      ['ipv6', c.ipv6.lostShare],
      ['hosts', c.hosts.lostShare],
    ];
    const over = losses.filter(([, share]) => share > this.maxShrink);
    if (over.length === 0) return;
    const what = over.map(([k, share]) => `${k} ${(share * 100).toFixed(1)}%`).join(', ');
    throw new Refusal(
      'shrink',
      {
        code: 'M365FC_ERR_UPDATE_SHRINK',
        message: `The new version loses ${what} of what the version in use covers (limit ${(this.maxShrink * 100).toFixed(0)}%)`,
        details: { over: Object.fromEntries(over), maxShrink: this.maxShrink },
      },
      c,
    );
  }

  private succeed(
    outcome: 'updated' | 'current',
    force: boolean,
    versionBefore: string,
    started: number,
    latest: string,
    warnings: CheckError[],
    extra: { coverage?: Coverage; diff?: SnapshotDiff } = {},
  ): CheckResult {
    this.lastSuccess = this.timers.now();
    this.lastOutcome = outcome;
    this.lastError = warnings[0] ?? null;
    this.consecutiveFailures = 0;
    return this.result(outcome, force, versionBefore, started, { latest, warnings, ...extra });
  }

  private onError(err: unknown, force: boolean, before: Snapshot, started: number, warnings: CheckError[]): CheckResult {
    if (err instanceof Refusal) {
      this.counts.refusals++;
      this.consecutiveFailures++;
      this.lastOutcome = 'refused';
      this.lastError = err.error;
      if (err.gate !== 'version') {
        this.refusedVersion = this.latestSeen;
        this.refusedError = err.error;
      }
      return this.result('refused', force, before.version, started, {
        latest: this.latestSeen,
        error: err.error,
        gate: err.gate,
        coverage: err.coverage,
        warnings,
      });
    }
    const error = toCheckError(err);
    if (error.code === 'M365FC_ERR_UPDATE_STOPPED') {
      return this.result('failed', force, before.version, started, { latest: this.latestSeen, error, warnings });
    }
    this.counts.failures++;
    this.consecutiveFailures++;
    this.lastError = error;
    const limited = error.code === 'M365FC_ERR_UPSTREAM_RATE_LIMITED';
    if (limited) this.backOff(error);
    this.lastOutcome = limited ? 'rate-limited' : 'failed';
    return this.result(this.lastOutcome, force, before.version, started, { latest: this.latestSeen, error, warnings });
  }

  private backOff(error: CheckError): void {
    const retryAfter = error.details['retryAfterMs'];
    const wait = typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : this.rateLimitBackoffMs;
    this.backoffUntil = this.timers.now() + wait;
  }

  private result(
    outcome: CheckOutcome,
    forced: boolean,
    versionBefore: string,
    started: number,
    r: { latest?: string | null; error?: CheckError; gate?: Gate; coverage?: Coverage | null; diff?: SnapshotDiff; warnings?: CheckError[] },
  ): CheckResult {
    return {
      outcome,
      forced,
      versionBefore,
      versionInUse: this.data.snapshot.version,
      latest: r.latest ?? null,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(this.timers.now()).toISOString(),
      error: r.error ?? null,
      gate: r.gate ?? null,
      coverage: r.coverage ?? null,
      diff: r.diff ?? null,
      warnings: r.warnings ?? [],
    };
  }

  private async persist(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.writeStatus({
        lastAttempt: this.lastAttempt,
        lastSuccess: this.lastSuccess,
        lastErrorCode: this.lastError?.code ?? null,
        consecutiveFailures: this.consecutiveFailures,
        backoffUntil: this.backoffUntil,
        refusedVersion: this.refusedVersion,
        refusedCode: this.refusedError?.code ?? null,
      });
    } catch (err) {
      this.emit('warning', toCheckError(err));
    }
  }

  private scheduleNext(): void {
    const now = this.timers.now();
    let at = now + this.pollIntervalMs * (1 + this.jitter * this.random());
    if (this.backoffUntil !== null) at = Math.max(at, this.backoffUntil);
    this.scheduleAt(Math.round(at));
  }

  private scheduleAt(at: number): void {
    this.clearTimer();
    this.nextCheckAt = at;
    const wait = Math.max(0, at - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (!this.started) return;
      if (this.timers.now() < at) {
        this.scheduleAt(at);
        return;
      }
      void this.check();
    }, Math.min(wait, MAX_TIMER_MS));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
