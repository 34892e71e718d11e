import { M365Error } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import type { Classifier } from '../match/classifier.js';
import type { CheckResult, DataInUse, ReloadReport, UpdaterStatus } from './check-result.js';
import type { FollowLogger } from './follow-log.js';
import { followParts, type FollowDeps, type FollowInput, type FollowParts } from './follow-parts.js';
import { reloadRecord } from './history.js';
import type { ChangeRecord, DataSource, FollowView, LiveIndex, RefreshResult } from './live-index.js';
import { Reloader } from './reloader.js';
import { StateDirWatch } from './state-watch.js';
import type { Updater } from './updater.js';
import type { WebhookSender } from './webhooks.js';

export type { FollowLogger } from './follow-log.js';
export type { FollowDeps, FollowInput } from './follow-parts.js';

/**
 * Following Microsoft, one object for `m365fc serve` and `m365fc update`. `Follower.open` builds
 * its parts (follow-parts.ts: starting data, state dir claimed for the query, updater), and for
 * serve takes the poll lock and checks the live service at once when the start is not the
 * last-known-good. Every source passes the same gates (gates.ts): upstream in the updater; the
 * state dir (another process's last-known-good, picked up by the watcher) and the --data file
 * (SIGHUP) in `reload` (reloader.ts). A refusal is logged with its code and counted in the status.
 *
 * It is the LiveIndex's FollowView: /v1/version, /readyz and /metrics read `updaterStatus()`,
 * /v1/changes `changes()`, POST /v1/admin/refresh `refresh`.
 *
 * Several processes sharing a state dir (`--workers N`, or two services) poll once between them:
 * the holder of the lock polls; the others follow what it writes and take the lock over when
 * its holder dies (poll-lock.ts).
 */

/** The updater's status plus what reached (or was refused) from the state dir and the data file. */
export type FollowStatus = UpdaterStatus & {
  readonly stateDir: string | null;
  readonly polls: boolean;
  readonly lastReload: ReloadReport | null;
  readonly reloadsRefused: number;
};

const LIVE_SOURCE: Record<DataInUse<Classifier>['source'], DataSource> = { state: 'cache', upstream: 'live', file: 'file', bootstrap: 'bootstrap' };

export class Follower implements FollowView {
  readonly liveIndex: LiveIndex;
  readonly updater: Updater<Classifier> | null;
  readonly webhooks: WebhookSender | null;
  /** What went wrong while choosing the starting data (a corrupt state file, say), already logged. */
  readonly startProblems: readonly M365Error[];
  readonly refresh: (() => Promise<RefreshResult>) | null;

  private readonly p: FollowParts;
  private readonly reloader: Reloader;
  private fileData: DataInUse<Classifier>;
  private pollsNow = false;
  private started = false;
  private watch: StateDirWatch | null = null;
  private takeOverTimer: unknown = null;
  private stopping: Promise<void> | null = null;

  /** Prepares following as `input` says; for serve, the first check is made before it returns. */
  static async open(input: FollowInput, deps: FollowDeps = {}): Promise<Follower> {
    const parts = await followParts(input, deps);
    const follower = new Follower(parts);
    if (parts.updater && input.role !== 'once') await follower.prepareToServe(deps.startupTimeoutMs ?? 15_000);
    return follower;
  }

  private constructor(p: FollowParts) {
    this.p = p;
    this.updater = p.updater;
    this.webhooks = p.webhooks;
    this.startProblems = p.problems;
    this.fileData = p.initial;
    const f = p.input.follow;
    this.reloader = new Reloader({
      store: p.store,
      dataFile: p.input.data,
      updater: p.updater,
      gates: { instance: f.instance, query: p.query, maxShrink: f.maxShrink, build: p.build, clock: p.timers },
      log: () => p.log.current,
      polls: () => this.pollsNow,
      current: () => this.current,
      swapIn: (data, replaced) => this.swapIn(data, replaced),
    });
    this.liveIndex = p.liveIndex;
    this.liveIndex.attach(this);
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
    return { ...this.updater.status(), stateDir: this.p.store?.dir ?? null, polls: this.pollsNow, lastReload: this.reloader.last, reloadsRefused: this.reloader.refused };
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
    return this.reloader.reload(trigger);
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
      await this.reloader.idle();
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
    await this.reloader.idle();
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

  /** Data a re-read admitted: what the service answers from now. */
  private swapIn(data: DataInUse<Classifier>, replaced: Snapshot): void {
    if (this.updater) this.updater.adopt(data);
    else this.fileData = data;
    const loadedAt = new Date(this.p.timers.now()).toISOString();
    this.liveIndex.publish(data.index, { source: LIVE_SOURCE[data.source], fetchedAt: data.snapshot.fetchedAt, loadedAt }, this.p.history.add(reloadRecord(replaced, data.snapshot, loadedAt)));
  }
}

function refreshResult(r: CheckResult): RefreshResult {
  const status = r.outcome === 'updated' ? 'updated' : r.outcome === 'current' ? 'unchanged' : 'failed';
  return { status, version: r.versionInUse, errorCode: r.error?.code ?? null, ...(r.error ? { message: r.error.message } : {}) };
}
