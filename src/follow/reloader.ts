import type { Snapshot } from '../core/types.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import type { Classifier } from '../match/classifier.js';
import type { DataInUse, ReloadReport } from './check-result.js';
import { ReloadLog, type FollowLogger } from './follow-log.js';
import { reloadThroughGates, type ReloadGates } from './reload.js';
import type { StateStore } from './state-store.js';
import type { Updater } from './updater.js';

/**
 * The Follower's re-reads, one at a time: SIGHUP (systemd's ExecReload) and the state-dir
 * watcher. Re-reads the state dir when following one, else the --data file, passes what it
 * finds through the gates (reload.ts) and hands what passes to `swapIn`; ReloadLog logs each
 * report and counts the refusals for the status.
 */

export interface ReloaderParts {
  readonly store: StateStore | null;
  readonly dataFile: string | null;
  readonly updater: Updater<Classifier> | null;
  readonly gates: ReloadGates;
  readonly log: () => FollowLogger;
  /** True while this process polls upstream: then the state dir's bookkeeping is its own. */
  readonly polls: () => boolean;
  /** The data the service answers from. */
  readonly current: () => DataInUse<Classifier>;
  /** Puts data that passed the gates in use; `replaced` is the snapshot it replaces. */
  readonly swapIn: (data: DataInUse<Classifier>, replaced: Snapshot) => void;
}

export class Reloader {
  private readonly reports: ReloadLog;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(private readonly p: ReloaderParts) {
    this.reports = new ReloadLog(p.log);
  }

  /** The last re-read that changed or refused something. */
  get last(): ReloadReport | null {
    return this.reports.last;
  }

  /** Offers refused so far (the same file seen again by the watcher counts once). */
  get refused(): number {
    return this.reports.refused;
  }

  /** Re-reads after the re-reads already asked for. */
  reload(trigger: ReloadReport['trigger']): Promise<ReloadReport> {
    const next = this.reloading.then(() => this.reloadNow(trigger));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  /** Resolves once no re-read is running or waiting. */
  async idle(): Promise<void> {
    await this.reloading;
  }

  private async reloadNow(trigger: ReloadReport['trigger']): Promise<ReloadReport> {
    const { store, updater, dataFile, gates } = this.p;
    // A check of ours writes the last-known-good before it publishes: read after it is done.
    await updater?.idle();
    const inUse = this.p.current().snapshot;
    let from: 'state' | 'file';
    let read: () => Promise<Snapshot | null>;
    if (store) {
      from = 'state';
      // Another process's bookkeeping (when it polls) comes along with its data.
      if (!this.p.polls() && updater) {
        const status = await store.readStatus();
        if (status?.ok) updater.adopt(null, status.value);
      }
      read = async () => {
        const lkg = await store.readLastKnownGood();
        if (lkg === null) return null;
        if (!lkg.ok) throw lkg.error;
        return lkg.value;
      };
    } else if (dataFile !== null) {
      from = 'file';
      read = () => Promise.resolve(readDataFile(dataFile));
    } else {
      const none: ReloadReport = { at: new Date(gates.clock.now()).toISOString(), from: 'none', trigger, outcome: 'unchanged', version: null, versionInUse: inUse.version, gate: null, errorCode: null, message: 'nothing to re-read: no --data file and no --state-dir' };
      if (trigger === 'signal') this.p.log().info({ reload: none }, 'reload: nothing to re-read (no --data file, no --state-dir)');
      return none;
    }
    const { report, admitted } = await reloadThroughGates(read, inUse, from, trigger, gates);
    this.reports.note(report);
    if (admitted) this.p.swapIn({ snapshot: admitted.snapshot, index: admitted.index, source: from }, inUse);
    return report;
  }
}
