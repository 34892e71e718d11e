import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { M365Error } from '../core/errors.js';
import type { Classifier } from '../match/classifier.js';
import { createClassifier } from '../match/create-classifier.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import type { Precedence, Snapshot } from '../core/types.js';
import { LiveIndex, type ChangeRecord, type DataSource, type FollowView, type RefreshResult } from './live-index.js';
import type { CheckResult, DataInUse, ReloadReport, UpdaterStatus } from './check-result.js';
import { ReloadLog, reportUpdaterEvents, stderrLogger, type FollowLogger } from './follow-log.js';
import { ChangeHistory, reloadRecord, updateRecord } from './history.js';
import type { FollowConfig } from './options.js';
import { queryJson, type UpstreamQuery } from './query.js';
import { reloadThroughGates, type ReloadGates } from './reload.js';
import { startingData } from './starting-data.js';
import { StateDirWatch } from './state-watch.js';
import { StateStore } from './state-store.js';
import { systemTimers, type Timers } from './timers.js';
import { Updater } from './updater.js';
import { WebServiceClient } from './web-service-client.js';
import { WebhookSender } from './webhooks.js';

export type { FollowLogger } from './follow-log.js';

/**
 * Following Microsoft, one object for `m365fc serve` and `m365fc update`. `Follower.open` picks
 * the starting data (starting-data.ts), claims the state dir for its query, builds the updater,
 * and for serve takes the poll lock and checks the live service at once when the start is not
 * the last-known-good. Every source passes the same gates (gates.ts): upstream in the updater;
 * the state dir (another process's last-known-good, picked up by the watcher) and the --data
 * file (SIGHUP) in `reload`. A refusal is logged with its code and counted in the status.
 *
 * It is the LiveIndex's FollowView: /v1/version, /readyz and /metrics read `updaterStatus()`,
 * /v1/changes `changes()`, POST /v1/admin/refresh `refresh`.
 *
 * Several processes sharing a state dir (`--workers N`, or two services) poll once between them:
 * the holder of the lock polls; the others follow what it writes and take the lock over when
 * its holder dies (poll-lock.ts).
 */

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
  /** 'serve' (default) polls in a loop under the lock; 'once' is `m365fc update`: one check, no lock. */
  readonly role?: 'serve' | 'once';
}

/** The updater's status plus what reached (or was refused) from the state dir and the data file. */
export type FollowStatus = UpdaterStatus & {
  readonly stateDir: string | null;
  readonly polls: boolean;
  readonly lastReload: ReloadReport | null;
  readonly reloadsRefused: number;
};

const LIVE_SOURCE: Record<DataInUse<Classifier>['source'], DataSource> = { state: 'cache', upstream: 'live', file: 'file', bootstrap: 'bootstrap' };

interface Parts {
  readonly input: FollowInput;
  readonly timers: Timers;
  readonly build: (s: Snapshot) => Classifier;
  readonly initial: DataInUse<Classifier>;
  readonly store: StateStore | null;
  readonly client: WebServiceClient | null;
  readonly updater: Updater<Classifier> | null;
  readonly webhooks: WebhookSender | null;
  readonly history: ChangeHistory;
  readonly problems: M365Error[];
  readonly log: { current: FollowLogger };
}

export class Follower implements FollowView {
  readonly liveIndex: LiveIndex;
  readonly updater: Updater<Classifier> | null;
  readonly webhooks: WebhookSender | null;
  /** What went wrong while choosing the starting data (a corrupt state file, say), already logged. */
  readonly startProblems: readonly M365Error[];
  readonly refresh: (() => Promise<RefreshResult>) | null;

  private readonly p: Parts;
  private readonly gates: ReloadGates;
  private fileData: DataInUse<Classifier>;
  private pollsNow = false;
  private started = false;
  private watch: StateDirWatch | null = null;
  private takeOverTimer: unknown = null;
  private reloading: Promise<unknown> = Promise.resolve();
  private readonly reloads: ReloadLog;
  private stopping: Promise<void> | null = null;

  /** Prepares following as `input` says; for serve, the first check is made before it returns. */
  static async open(input: FollowInput, deps: FollowDeps = {}): Promise<Follower> {
    const f = input.follow;
    const timers = deps.timers ?? systemTimers;
    const log = { current: stderrLogger() };
    // `m365fc update` prints them itself, as text.
    if (input.role !== 'once') for (const w of f.warnings) log.current.warn({ warning: w }, w);
    const problems: M365Error[] = [];
    const report = (e: M365Error): void => {
      problems.push(e);
      log.current.warn({ code: e.code, details: e.details }, e.message);
    };
    const build = (s: Snapshot): Classifier => createClassifier(s, { precedence: input.precedence, tenantName: f.tenant ?? undefined });
    const following = f.upstream !== null;
    const query: UpstreamQuery = { instance: f.instance, ...(f.tenant !== null ? { tenantName: f.tenant } : {}), noIPv6: f.noIPv6, serviceAreas: f.serviceAreas };
    const store = following && f.stateDir !== null ? new StateStore(f.stateDir, report) : null;
    if (store) {
      const { reset } = await store.claim(query, { reset: f.resetStateDir, now: new Date(timers.now()) });
      if (reset) log.current.warn({ dir: store.dir, query: queryJson(query) }, 'state dir started anew for this query (--reset-state-dir): its data and status were removed');
    }
    const initial = await startingData({ store, dataFile: input.data, instance: f.instance, query: following ? query : null, build, report });
    const history = new ChangeHistory(deps.historyLimit ?? 100);
    if (!following || f.upstream === null) {
      return new Follower({ input, timers, build, initial, store: null, client: null, updater: null, webhooks: null, history, problems, log }, null);
    }
    const persisted = store ? await store.readStatus() : null;
    const client = new WebServiceClient({
      baseUrl: f.upstream,
      instance: f.instance,
      clientRequestId: store ? (await store.installation()).clientRequestId : randomUUID(),
      ...(f.tenant !== null ? { tenantName: f.tenant } : {}),
      noIPv6: f.noIPv6,
      serviceAreas: f.serviceAreas,
      dispatcher: deps.dispatcher,
      connectTimeoutMs: deps.connectTimeoutMs,
      headersTimeoutMs: deps.headersTimeoutMs,
      bodyTimeoutMs: deps.bodyTimeoutMs,
      now: () => timers.now(),
    });
    const webhooks = f.webhooks.length > 0 && input.role !== 'once' ? new WebhookSender({ targets: f.webhooks, timers, dispatcher: deps.webhookDispatcher, random: deps.random }) : null;
    let follower: Follower | null = null;
    const updater = new Updater<Classifier>({
      client,
      build,
      initial,
      store,
      persisted: persisted?.ok ? persisted.value : null,
      pollIntervalMs: f.pollIntervalMs,
      staleAfterMs: f.staleAfterMs,
      maxShrink: f.maxShrink,
      timers,
      random: deps.random,
      // Built off to the side by the updater; this is the one reference swap.
      publish: (u) => {
        const loadedAt = new Date(timers.now()).toISOString();
        follower?.liveIndex.publish(u.index, { source: 'live', fetchedAt: u.snapshot.fetchedAt, loadedAt }, history.add(updateRecord(u, loadedAt)));
      },
    });
    reportUpdaterEvents(updater, webhooks, () => log.current);
    follower = new Follower({ input, timers, build, initial, store, client, updater, webhooks, history, problems, log }, query);
    if (input.role !== 'once') await follower.prepareToServe(deps.startupTimeoutMs ?? 15_000);
    return follower;
  }

  private constructor(p: Parts, query: UpstreamQuery | null) {
    this.p = p;
    this.updater = p.updater;
    this.webhooks = p.webhooks;
    this.startProblems = p.problems;
    this.fileData = p.initial;
    const f = p.input.follow;
    this.gates = { instance: f.instance, query, maxShrink: f.maxShrink, build: p.build, now: () => p.timers.now() };
    this.reloads = new ReloadLog(() => p.log.current);
    this.liveIndex = new LiveIndex({ now: () => p.timers.now(), follow: this });
    this.liveIndex.publish(p.initial.index, { source: LIVE_SOURCE[p.initial.source] });
    const updater = p.updater;
    this.refresh = updater ? async () => refreshResult(await updater.check()) : null;
  }

  /** True for the one process that polls upstream for its state dir. */
  get polls(): boolean {
    return this.pollsNow;
  }

  /** The data the service answers from. */
  get current(): DataInUse<Classifier> {
    return this.updater?.current ?? this.fileData;
  }

  updaterStatus(): FollowStatus | null {
    if (!this.updater) return null;
    return { ...this.updater.status(), stateDir: this.p.store?.dir ?? null, polls: this.pollsNow, lastReload: this.reloads.last, reloadsRefused: this.reloads.refused };
  }

  changes(): readonly ChangeRecord[] {
    return this.p.history.list;
  }

  /** One check now (`m365fc update`, POST /v1/admin/refresh). */
  check(opts: { force?: boolean } = {}): Promise<CheckResult> {
    if (!this.updater) return Promise.reject(new M365Error('M365FC_ERR_SERVE_NO_UPDATER', 'Nothing is followed: no --upstream or --state-dir'));
    return this.updater.check(opts);
  }

  /**
   * Re-reads the state dir (when following one) or the --data file through the gates, and swaps
   * in what passes. What SIGHUP does (systemd's ExecReload), and what the state-dir watcher does.
   */
  reload(trigger: ReloadReport['trigger'] = 'signal'): Promise<ReloadReport> {
    const next = this.reloading.then(() => this.reloadNow(trigger));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  /** Begins polling (or following the poller); logs from now on to `log` (fastify's, once the app exists). */
  start(log?: FollowLogger): void {
    if (log) this.p.log.current = log;
    this.started = true;
    if (!this.updater) return;
    if (this.pollsNow) this.updater.start();
    else {
      this.log.info({ dir: this.p.store?.dir }, 'another process polls upstream for this state dir; following its last-known-good');
      this.tryTakeOver();
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.started = false;
      this.watch?.close();
      if (this.takeOverTimer !== null) this.p.timers.clearTimeout(this.takeOverTimer);
      await this.updater?.stop();
      await this.reloading;
      if (this.pollsNow) await this.p.store?.releaseLock();
      await this.webhooks?.close();
      await this.p.client?.close();
    })();
    return this.stopping;
  }

  private get log(): FollowLogger {
    return this.p.log.current;
  }

  private get lockStaleMs(): number {
    // A lock not refreshed for three intervals is taken over (a holder on another host).
    return 3 * this.p.input.follow.pollIntervalMs;
  }

  private async prepareToServe(startupTimeoutMs: number): Promise<void> {
    const { store, updater, timers } = this.p;
    if (!updater) return;
    this.pollsNow = store === null ? true : await store.acquireLock(this.lockStaleMs, new Date(timers.now()));
    updater.on('checked', () => {
      if (this.pollsNow) void store?.touchLock(new Date(timers.now()));
    });
    if (store) {
      this.watch = new StateDirWatch(store.dir, () => void this.reload('watch'), () => this.log);
      this.watch.start();
      // The poller may have written between our first read and the watch.
      if (!this.pollsNow) void this.reload('watch');
    }
    // No last-known-good: the live service comes before the file or the bootstrap, within a
    // bounded wait so that an appliance without network still starts.
    if (this.pollsNow && (this.p.initial.source !== 'state' || this.p.input.follow.force)) {
      const first = updater.check({ force: this.p.input.follow.force });
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, startupTimeoutMs);
        timer.unref();
      });
      await Promise.race([first, waited]);
      clearTimeout(timer);
    }
    await this.reloading;
  }

  private tryTakeOver(): void {
    const { store, timers, updater } = this.p;
    this.takeOverTimer = timers.setTimeout(() => {
      void (async () => {
        if (!this.started || this.pollsNow || !store || !updater) return;
        if (await store.acquireLock(this.lockStaleMs, new Date(timers.now()))) {
          this.pollsNow = true;
          this.log.info({ dir: store.dir }, 'this process polls upstream now');
          updater.start();
        } else this.tryTakeOver();
      })();
    }, Math.min(this.p.input.follow.pollIntervalMs, 60_000));
  }

  private async reloadNow(trigger: ReloadReport['trigger']): Promise<ReloadReport> {
    const { store, updater, input } = this.p;
    // A check of ours writes the last-known-good before it publishes: read after it is done.
    await updater?.idle();
    const inUse = this.current.snapshot;
    let from: 'state' | 'file';
    let read: () => Promise<Snapshot | null>;
    if (store) {
      from = 'state';
      // Another process's bookkeeping (when it polls) comes along with its data.
      if (!this.pollsNow && updater) {
        const status = await store.readStatus();
        if (status?.ok) updater.adopt(null, status.value);
      }
      read = async () => {
        const lkg = await store.readLastKnownGood();
        if (lkg === null) return null;
        if (!lkg.ok) throw lkg.error;
        return lkg.value;
      };
    } else if (input.data !== null) {
      const path = input.data;
      from = 'file';
      read = () => Promise.resolve(readDataFile(path));
    } else {
      const none: ReloadReport = { at: new Date(this.p.timers.now()).toISOString(), from: 'none', trigger, outcome: 'unchanged', version: null, versionInUse: inUse.version, gate: null, errorCode: null, message: 'nothing to re-read: no --data file and no --state-dir' };
      if (trigger === 'signal') this.log.info({ reload: none }, 'reload: nothing to re-read (no --data file, no --state-dir)');
      return none;
    }
    const { report, admitted } = await reloadThroughGates(read, inUse, from, trigger, this.gates);
    this.reloads.note(report);
    if (admitted) {
      const source = from === 'state' ? 'state' : 'file';
      const data: DataInUse<Classifier> = { snapshot: admitted.snapshot, index: admitted.index, source };
      if (updater) updater.adopt(data);
      else this.fileData = data;
      const loadedAt = new Date(this.p.timers.now()).toISOString();
      this.liveIndex.publish(admitted.index, { source: LIVE_SOURCE[source], fetchedAt: admitted.snapshot.fetchedAt, loadedAt }, this.p.history.add(reloadRecord(inUse, admitted.snapshot, loadedAt)));
    }
    return report;
  }
}

function refreshResult(r: CheckResult): RefreshResult {
  const status = r.outcome === 'updated' ? 'updated' : r.outcome === 'current' ? 'unchanged' : 'failed';
  return { status, version: r.versionInUse, errorCode: r.error?.code ?? null, ...(r.error ? { message: r.error.message } : {}) };
}
