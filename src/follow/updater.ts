import { EventEmitter } from 'node:events';
import { M365Error } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import { diffSnapshots, measureCoverage, type Coverage, type CoverageScope, type SnapshotDiff } from '../ingest/diff.js';
import { UNKNOWN_VERSION, snapshotFromSets } from '../ingest/parse-endpoints.js';
import {
  DEFAULT_MAX_SHRINK,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_STALE_AFTER_MS,
  checkResult,
  type AppliedUpdate,
  type CheckOutcome,
  type CheckResult,
  type DataInUse,
  type ResultParts,
  type UpdaterOptions,
  type UpdaterStatus,
} from './check-result.js';
import { CheckSchedule } from './check-schedule.js';
import { Refusal, shrinkGate, toCodedError, validateGate } from './gates.js';
import { CheckLedger } from './ledger.js';
import { fetchedWith } from './query.js';
import type { PersistedStatus, StateStore } from './state-store.js';
import { systemTimers, type Timers } from './timers.js';
import type { ChangeRecord, UpstreamClient } from './web-service-client.js';

export * from './check-result.js';
export { fetchedWith, queryOfOrigin } from './query.js';
export { systemTimers, type Timers } from './timers.js';

/**
 * Follows Microsoft's web service. One check: GET /version; only when `latest` differs from the
 * version in use, GET /endpoints (and /changes for enrichment). A new version passes the gates
 * of gates.ts (validates, newer, shrink; `force` skips version and shrink, never validation).
 * The index is built off to the side by `build`; `publish` swaps it in. Faults never touch the
 * data in use; they show in `status()` and as events, each with a coded M365Error.
 *
 * Events: 'checking', 'checked' (CheckResult), 'update' (AppliedUpdate), 'refused' (CheckResult),
 * 'failure' (CheckResult), 'status' (UpdaterStatus), 'warning' (M365Error).
 *
 * What it remembers of its checks, and its status, are the ledger's (ledger.ts); when it checks
 * next, the schedule's (check-schedule.ts).
 */

export class Updater<T> extends EventEmitter {
  private readonly client: UpstreamClient;
  private readonly build: (snapshot: Snapshot) => T;
  private readonly publishFn: ((update: AppliedUpdate<T>) => void) | undefined;
  private readonly store: StateStore | null;
  private readonly timers: Timers;
  readonly pollIntervalMs: number;
  readonly jitter: number;
  readonly maxShrink: number;
  readonly staleAfterMs: number;
  readonly rateLimitBackoffMs: number;

  private data: DataInUse<T>;
  private readonly ledger: CheckLedger;
  private readonly schedule: CheckSchedule;
  private running: Promise<CheckResult> | null = null;
  private abort: AbortController | null = null;

  constructor(o: UpdaterOptions<T>) {
    super();
    this.client = o.client;
    this.build = o.build;
    this.publishFn = o.publish;
    this.store = o.store ?? null;
    this.timers = o.timers ?? systemTimers;
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
    this.ledger = new CheckLedger(o.persisted ?? null);
    const random = o.random ?? Math.random;
    this.schedule = new CheckSchedule({ timers: this.timers, random, pollIntervalMs: this.pollIntervalMs, jitter: this.jitter, check: () => void this.check() });
  }

  /** The data in use: what the service answers from. */
  get current(): DataInUse<T> {
    return this.data;
  }

  /**
   * Takes data that passed the gates elsewhere (the state dir another process wrote, re-checked
   * by state-watch.ts) and that process's bookkeeping.
   */
  adopt(data: DataInUse<T> | null, persisted: PersistedStatus | null = null): void {
    if (data) this.data = data;
    if (persisted) this.ledger.adopt(persisted);
  }

  /** Starts the loop. The first check waits for the interval since the last attempt and any back-off. */
  start(): void {
    this.schedule.start(this.ledger, this.data.source === 'state');
  }

  /** Stops the loop and aborts a check in flight. */
  async stop(): Promise<void> {
    this.schedule.stop();
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
    const until = this.ledger.backoffUntil;
    if (!force && until !== null && now < until) {
      // Not an attempt: upstream is not asked, and the counters do not move.
      const at = new Date(until).toISOString();
      const error = new M365Error('M365FC_ERR_UPDATE_BACKING_OFF', `Backing off after a 429 until ${at}`, { backoffUntil: at });
      return Promise.resolve(this.result('rate-limited', false, this.data.snapshot.version, now, { error }));
    }
    // Started a tick later so that `running` is set before anything of the check can run.
    const p: Promise<CheckResult> = Promise.resolve().then(() => this.run(force));
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = null;
    });
    return p;
  }

  /** Resolves once no check is running (a check publishes before it resolves). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  status(): UpdaterStatus {
    return this.ledger.status({
      now: this.timers.now(),
      running: this.schedule.running,
      checking: this.running !== null,
      upstream: this.client.baseUrl,
      query: this.client.query,
      data: this.data,
      nextCheckAt: this.schedule.nextAt,
      staleAfterMs: this.staleAfterMs,
      pollIntervalMs: this.pollIntervalMs,
      maxShrink: this.maxShrink,
    });
  }

  private async run(force: boolean): Promise<CheckResult> {
    const started = this.timers.now();
    const before = this.data.snapshot;
    this.ledger.attempted(started);
    const abort = new AbortController();
    this.abort = abort;
    this.emit('checking');
    const warnings: M365Error[] = [];
    let result: CheckResult;
    try {
      result = await this.attempt(force, before, started, abort.signal, warnings);
    } catch (err) {
      result = this.onError(err, force, before, started, warnings);
    } finally {
      this.abort = null;
    }
    await this.persist();
    if (this.schedule.running) this.schedule.next(this.ledger);
    // Done before the events: a listener (or the next timer) may start the next check at once.
    this.running = null;
    this.emit('checked', result);
    if (result.outcome === 'refused') this.emit('refused', result);
    else if (result.outcome === 'failed' || result.outcome === 'rate-limited') this.emit('failure', result);
    this.emit('status', this.status());
    return result;
  }

  private async attempt(force: boolean, before: Snapshot, started: number, signal: AbortSignal, warnings: M365Error[]): Promise<CheckResult> {
    const query = this.client.query;
    const { latest } = await this.client.version(signal);
    this.ledger.latestSeen = latest;
    const inUse = before.version;
    const sameInstance = before.instance.toLowerCase() === query.instance.toLowerCase();
    if (!force && sameInstance) {
      if (latest === inUse && fetchedWith(before, query)) return this.succeed('current', force, before.version, started, latest, warnings);
      if (latest < inUse) {
        throw new Refusal(
          'version',
          new M365Error('M365FC_ERR_UPDATE_VERSION_BACKWARDS', `Upstream offers version ${latest}, older than ${inUse} in use`, { latest, inUse }),
        );
      }
      // Refused before: not downloaded again until a newer version or a forced check.
      const again = this.ledger.refusedBefore(latest);
      if (again) throw new Refusal(again.code === 'M365FC_ERR_UPDATE_SHRINK' ? 'shrink' : 'validate', again);
    }
    const response = await this.client.endpoints(signal);
    let snapshot: Snapshot;
    try {
      snapshot = snapshotFromSets(response.data, { instance: query.instance, version: latest, fetchedAt: new Date(this.timers.now()).toISOString(), origin: response.url });
    } catch (err) {
      throw new Refusal('validate', toCodedError(err));
    }
    const index = validateGate(snapshot, this.build);
    const scope: CoverageScope = { noIPv6: query.noIPv6, serviceAreas: query.serviceAreas };
    const coverage = measureCoverage(before, snapshot, scope);
    if (!force && sameInstance) shrinkGate(coverage, this.maxShrink);
    let records: ChangeRecord[] = [];
    if (inUse !== UNKNOWN_VERSION && sameInstance && latest > inUse) {
      try {
        records = await this.client.changes(inUse, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        // /changes only enriches the diff; its failure does not hold the update back.
        const e = this.warn(err, warnings);
        if (e.code === 'M365FC_ERR_UPSTREAM_RATE_LIMITED') this.ledger.backOff(e, this.timers.now(), this.rateLimitBackoffMs);
      }
    }
    const diff = diffSnapshots(before, snapshot, records, scope);
    if (this.store) {
      // The new data is good and is used even when it cannot be written (it will not survive a restart).
      await this.store.writeLastKnownGood(snapshot, new Date(this.timers.now())).catch((err: unknown) => this.warn(err, warnings));
    }
    if (signal.aborted) throw new M365Error('M365FC_ERR_UPDATE_STOPPED', 'The updater was stopped before the new version was published');
    const update: AppliedUpdate<T> = { previous: before, snapshot, index, diff, forced: force };
    this.data = { snapshot, index, source: 'upstream' };
    const result = this.succeed('updated', force, before.version, started, latest, warnings, { coverage, diff });
    this.publishFn?.(update);
    this.emit('update', update);
    return result;
  }

  private warn(err: unknown, warnings: M365Error[]): M365Error {
    const e = toCodedError(err);
    warnings.push(e);
    this.emit('warning', e);
    return e;
  }

  private succeed(
    outcome: 'updated' | 'current',
    force: boolean,
    versionBefore: string,
    started: number,
    latest: string,
    warnings: M365Error[],
    extra: { coverage?: Coverage; diff?: SnapshotDiff } = {},
  ): CheckResult {
    this.ledger.succeeded(outcome, this.timers.now(), warnings);
    return this.result(outcome, force, versionBefore, started, { latest, warnings, ...extra });
  }

  private onError(err: unknown, force: boolean, before: Snapshot, started: number, warnings: M365Error[]): CheckResult {
    const latest = this.ledger.latestSeen;
    if (err instanceof Refusal) {
      this.ledger.refused(err);
      return this.result('refused', force, before.version, started, { latest, error: err.error, gate: err.gate, coverage: err.coverage, warnings });
    }
    const error = toCodedError(err);
    if (error.code === 'M365FC_ERR_UPDATE_STOPPED') return this.result('failed', force, before.version, started, { latest, error, warnings });
    const outcome = this.ledger.failed(error, this.timers.now(), this.rateLimitBackoffMs);
    return this.result(outcome, force, before.version, started, { latest, error, warnings });
  }

  private result(outcome: CheckOutcome, forced: boolean, versionBefore: string, started: number, r: ResultParts): CheckResult {
    return checkResult(outcome, forced, versionBefore, this.data.snapshot.version, started, this.timers.now(), r);
  }

  private async persist(): Promise<void> {
    if (!this.store) return;
    await this.store.writeStatus(this.ledger.persisted).catch((err: unknown) => this.emit('warning', toCodedError(err)));
  }
}
