import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import type { Dispatcher } from 'undici';
import { isM365Error, M365Error } from '../core/errors.js';
import type { Classifier } from '../match/classifier.js';
import { createClassifier } from '../match/create-classifier.js';
import { loadBootstrapSnapshot } from '../ingest/bootstrap.js';
import { diffSnapshots, type SnapshotDiff } from '../ingest/diff.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import { LAST_KNOWN_GOOD_FILE, STATUS_FILE, StateStore, type PersistedStatus } from '../ingest/state-store.js';
import { Updater, systemTimers, type AppliedUpdate, type CheckError, type CheckResult, type DataInUse, type Timers } from '../ingest/updater.js';
import { WebServiceClient } from '../ingest/web-service-client.js';
import type { Precedence, Snapshot } from '../core/types.js';
import type { FollowConfig } from './follow-options.js';
import { LiveIndex, type ChangeRecord, type DataSource, type RefreshResult } from './live-index.js';
import { WebhookSender, type WebhookReport } from './webhooks.js';

/**
 * Wires the updater to the service: chooses the starting data (last-known-good in the state
 * dir, else the live service, else the embedded bootstrap; `--data` replaces the first and the
 * last), publishes every accepted version into the LiveIndex, keeps the change history for
 * /v1/changes, serves POST /v1/admin/refresh, feeds /v1/version, /readyz and /metrics with the
 * updater's status, logs, and sends change events to webhooks. WebSocket subscribers get the
 * LiveIndex's 'swap' event, which carries the change record.
 *
 * Several processes sharing a state dir (`--workers N`, or two services) poll once between
 * them: the holder of the state dir's lock polls; the others watch last-known-good.json and
 * updater-status.json and take what the poller accepted, and take the lock over when its holder
 * dies. Any of them may still check on POST /v1/admin/refresh; every process serves what is in
 * the state dir.
 */

/** The part of a pino logger used here (fastify's app.log fits). */
export interface FollowLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface FollowDeps {
  readonly dispatcher?: Dispatcher | undefined;
  readonly webhookDispatcher?: Dispatcher | undefined;
  readonly timers?: Timers | undefined;
  readonly random?: (() => number) | undefined;
  /** How long start-up waits for the live service when there is no last-known-good (ms). */
  readonly startupTimeoutMs?: number | undefined;
  /** Change records kept for /v1/changes. */
  readonly historyLimit?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly headersTimeoutMs?: number | undefined;
  readonly bodyTimeoutMs?: number | undefined;
}

export interface FollowInput {
  readonly data: string | null;
  readonly precedence: Precedence;
  readonly follow: FollowConfig;
}

export interface Follower {
  readonly liveIndex: LiveIndex;
  /** True for the one process that polls upstream for its state dir. */
  readonly polls: boolean;
  readonly updater: Updater<Classifier> | null;
  readonly webhooks: WebhookSender | null;
  /** What went wrong while choosing the starting data (a corrupt state file, say), already logged. */
  readonly startProblems: readonly M365Error[];
  /** Begins polling; logs from now on to `log` (fastify's, once the app exists). */
  start(log?: FollowLogger): void;
  stop(): Promise<void>;
}

const SOURCE: Record<DataInUse<Classifier>['source'], DataSource> = { state: 'cache', upstream: 'live', file: 'file', bootstrap: 'bootstrap' };

/** A logger for the time before the app exists: JSON lines on stderr, pino's level numbers. */
function stderrLogger(): FollowLogger {
  const line = (level: number) => (obj: object, msg: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, ...obj, msg })}\n`);
  };
  return { debug: () => undefined, info: line(30), warn: line(40), error: line(50) };
}

function refreshResult(r: CheckResult): RefreshResult {
  const status = r.outcome === 'updated' ? 'updated' : r.outcome === 'current' ? 'unchanged' : 'failed';
  return {
    status,
    version: r.versionInUse,
    errorCode: r.error?.code ?? null,
    ...(r.error ? { message: r.error.message } : {}),
  };
}

function historyRecord(u: AppliedUpdate<Classifier>, publishedAt: string): ChangeRecord {
  const { from: _from, to: _to, ...diff } = u.diff;
  return {
    version: u.snapshot.version,
    previousVersion: u.previous.version,
    publishedAt,
    instance: u.snapshot.instance,
    forced: u.forced,
    ...diff,
  };
}

function adoptedRecord(previous: Snapshot, snapshot: Snapshot, publishedAt: string): ChangeRecord {
  const { from: _from, to: _to, ...diff } = diffSnapshots(previous, snapshot);
  return { version: snapshot.version, previousVersion: previous.version, publishedAt, instance: snapshot.instance, forced: false, ...diff };
}

export async function prepareFollower(input: FollowInput, deps: FollowDeps = {}): Promise<Follower> {
  const f = input.follow;
  const timers = deps.timers ?? systemTimers;
  const live = new LiveIndex({ now: () => timers.now() });
  const build = (s: Snapshot): Classifier => createClassifier(s, { precedence: input.precedence, tenantName: f.tenant ?? undefined });
  let log: FollowLogger = stderrLogger();
  const problems: M365Error[] = [];
  for (const w of f.warnings) log.warn({ warning: w }, w);

  if (f.upstream === null) {
    const snapshot = input.data !== null ? readDataFile(input.data) : loadBootstrapSnapshot();
    live.publish(build(snapshot), { source: input.data !== null ? 'file' : 'bootstrap' });
    return {
      liveIndex: live,
      polls: false,
      updater: null,
      webhooks: null,
      startProblems: problems,
      start: (l) => {
        if (l) log = l;
      },
      stop: async () => undefined,
    };
  }

  const report = (e: M365Error): void => {
    problems.push(e);
    log.warn({ code: e.code, details: e.details }, e.message);
  };
  const store = f.stateDir !== null ? new StateStore(f.stateDir, report) : null;
  const clientRequestId = store ? (await store.installation()).clientRequestId : randomUUID();

  let initial: DataInUse<Classifier> | null = null;
  if (input.data !== null) {
    const snapshot = readDataFile(input.data);
    initial = { snapshot, index: build(snapshot), source: 'file' };
  } else if (store) {
    const lkg = await store.readLastKnownGood();
    if (lkg?.ok) {
      try {
        initial = { snapshot: lkg.value, index: build(lkg.value), source: 'state' };
      } catch (err) {
        report(
          new M365Error('M365FC_ERR_STORE_CORRUPT', `Last-known-good in ${store.dir} does not compile: ${(err as Error).message}`, {
            cause: isM365Error(err) ? err.code : 'unknown',
          }),
        );
      }
    }
  }
  if (initial === null) {
    const snapshot = loadBootstrapSnapshot();
    initial = { snapshot, index: build(snapshot), source: 'bootstrap' };
  }
  let persisted: PersistedStatus | null = null;
  if (store) {
    const s = await store.readStatus();
    if (s?.ok) persisted = s.value;
  }

  const client = new WebServiceClient({
    baseUrl: f.upstream,
    instance: f.instance,
    clientRequestId,
    ...(f.tenant !== null ? { tenantName: f.tenant } : {}),
    noIPv6: f.noIPv6,
    serviceAreas: f.serviceAreas,
    dispatcher: deps.dispatcher,
    connectTimeoutMs: deps.connectTimeoutMs,
    headersTimeoutMs: deps.headersTimeoutMs,
    bodyTimeoutMs: deps.bodyTimeoutMs,
    now: () => timers.now(),
  });
  const history: ChangeRecord[] = [];
  const historyLimit = deps.historyLimit ?? 100;
  const webhooks =
    f.webhooks.length > 0 ? new WebhookSender({ targets: f.webhooks, timers, dispatcher: deps.webhookDispatcher, random: deps.random }) : null;

  const updater = new Updater<Classifier>({
    client,
    build,
    initial,
    store,
    persisted,
    pollIntervalMs: f.pollIntervalMs,
    staleAfterMs: f.staleAfterMs,
    maxShrink: f.maxShrink,
    timers,
    random: deps.random,
    publish: (u) => {
      // Built off to the side by the updater; this is the one reference swap.
      const loadedAt = new Date(timers.now()).toISOString();
      const record = historyRecord(u, loadedAt);
      live.publish(u.index, { source: 'live', fetchedAt: u.snapshot.fetchedAt, loadedAt }, record);
      remember(record);
    },
  });
  function remember(record: ChangeRecord): void {
    history.push(record);
    if (history.length > historyLimit) history.splice(0, history.length - historyLimit);
  }

  // One poller per state dir; a lock not refreshed for three intervals is taken over.
  const lockStaleMs = 3 * f.pollIntervalMs;
  let polls = store === null ? true : await store.acquireLock(lockStaleMs, new Date(timers.now()));
  let started = false;
  let watcher: FSWatcher | null = null;
  let takeOverTimer: unknown = null;
  let reloadTimer: NodeJS.Timeout | null = null;
  let reloading: Promise<void> = Promise.resolve();

  /** Takes what another process wrote to the state dir: data it accepted, or its status. */
  const reload = async (): Promise<void> => {
    if (!store) return;
    const status = polls ? null : await store.readStatus();
    const lkg = await store.readLastKnownGood();
    const cur = updater.current.snapshot;
    let data: DataInUse<Classifier> | null = null;
    if (lkg?.ok && (lkg.value.version !== cur.version || lkg.value.origin !== cur.origin)) {
      try {
        data = { snapshot: lkg.value, index: build(lkg.value), source: 'state' };
      } catch (err) {
        log.warn({ code: isM365Error(err) ? err.code : 'unknown' }, `last-known-good written by another process does not compile: ${(err as Error).message}`);
      }
    }
    updater.adopt(data, status?.ok ? status.value : null);
    if (data) {
      const loadedAt = new Date(timers.now()).toISOString();
      const record = adoptedRecord(cur, data.snapshot, loadedAt);
      live.publish(data.index, { source: 'cache', fetchedAt: data.snapshot.fetchedAt, loadedAt }, record);
      remember(record);
      log.info({ version: data.snapshot.version, previousVersion: cur.version }, 'data updated by the process that polls');
    }
  };
  if (store) {
    try {
      watcher = watch(store.dir, { persistent: false }, (_event, name) => {
        if (name !== LAST_KNOWN_GOOD_FILE && name !== STATUS_FILE) return;
        // A rename shows as several events: read once they settle.
        if (reloadTimer) clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => {
          reloading = reloading.then(reload).catch((err: unknown) => log.warn({ err }, 'reading the state dir failed'));
        }, 50);
        reloadTimer.unref();
      });
    } catch (err) {
      log.warn({ dir: store.dir, err }, 'cannot watch the state dir: processes sharing it will not see each other');
    }
    // The poller may have written between our first read and the watch.
    if (!polls) reloading = reload().catch((err: unknown) => log.warn({ err }, 'reading the state dir failed'));
  }
  const tryTakeOver = (): void => {
    takeOverTimer = timers.setTimeout(() => {
      void (async () => {
        if (!started || polls || !store) return;
        if (await store.acquireLock(lockStaleMs, new Date(timers.now()))) {
          polls = true;
          log.info({ dir: store.dir }, 'this process polls upstream now');
          updater.start();
        } else {
          tryTakeOver();
        }
      })();
    }, Math.min(f.pollIntervalMs, 60_000));
  };
  updater.on('checked', () => {
    if (polls) void store?.touchLock(new Date(timers.now()));
  });

  updater.on('update', (u: AppliedUpdate<Classifier>) => {
    const d: SnapshotDiff = u.diff;
    log.info({ version: u.snapshot.version, previousVersion: u.previous.version, forced: u.forced, totals: d.totals }, 'data updated');
    webhooks?.send({
      event: 'version',
      version: u.snapshot.version,
      previousVersion: u.previous.version,
      instance: u.snapshot.instance,
      source: 'live',
      fetchedAt: u.snapshot.fetchedAt,
      forced: u.forced,
      diff: d,
    });
  });
  updater.on('refused', (r: CheckResult) => {
    log.warn({ latest: r.latest, versionInUse: r.versionInUse, gate: r.gate, code: r.error?.code, details: r.error?.details }, r.error?.message ?? 'refused');
    webhooks?.send({
      event: 'refused',
      version: r.latest,
      versionInUse: r.versionInUse,
      gate: r.gate,
      code: r.error?.code ?? null,
      message: r.error?.message ?? null,
      coverage: r.coverage,
    });
  });
  updater.on('failure', (r: CheckResult) => {
    const s = updater.status();
    log.warn({ code: r.error?.code, consecutiveFailures: s.consecutiveFailures, nextCheck: s.nextCheck, backoffUntil: s.backoffUntil }, r.error?.message ?? 'check failed');
  });
  updater.on('warning', (e: CheckError) => log.warn({ code: e.code, details: e.details }, e.message));
  updater.on('checked', (r: CheckResult) => log.debug({ outcome: r.outcome, latest: r.latest }, 'update check'));
  webhooks?.on('failed', (r: WebhookReport) => log.warn({ webhook: r.url, status: r.status, error: r.error, attempts: r.attempt }, 'webhook delivery failed'));
  webhooks?.on('dropped', (r: WebhookReport) => log.warn({ webhook: r.url }, 'webhook queue full: oldest event dropped'));

  live.publish(initial.index, { source: SOURCE[initial.source] });
  // A getter: staleness and the next check are computed when /v1/version or /metrics ask.
  Object.defineProperty(live, 'updaterStatus', { get: () => updater.status(), configurable: true, enumerable: true });
  live.changes = history;
  live.refresh = async () => refreshResult(await updater.check());

  // No last-known-good: the live service comes before the bootstrap, within a bounded wait so
  // that an appliance without network still starts.
  if (polls && (initial.source !== 'state' || f.force)) {
    const first = updater.check({ force: f.force });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deps.startupTimeoutMs ?? 15_000);
      timer.unref();
    });
    await Promise.race([first, waited]);
    clearTimeout(timer);
  }

  await reloading;
  let stopping: Promise<void> | null = null;
  return {
    liveIndex: live,
    get polls() {
      return polls;
    },
    updater,
    webhooks,
    startProblems: problems,
    start: (l) => {
      if (l) log = l;
      started = true;
      if (polls) updater.start();
      else {
        log.info({ dir: store?.dir }, 'another process polls upstream for this state dir; following its last-known-good');
        tryTakeOver();
      }
    },
    stop: () => {
      stopping ??= (async () => {
        started = false;
        watcher?.close();
        if (reloadTimer) clearTimeout(reloadTimer);
        if (takeOverTimer !== null) timers.clearTimeout(takeOverTimer);
        await updater.stop();
        await reloading;
        if (polls) await store?.releaseLock();
        await webhooks?.close();
        await client.close();
      })();
      return stopping;
    },
  };
}
