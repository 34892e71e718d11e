import type { Classifier } from '../match/classifier.js';
import type { M365Error } from '../core/errors.js';
import type { AppliedUpdate, CheckResult, ReloadReport } from './check-result.js';
import type { Updater } from './updater.js';
import type { WebhookReport, WebhookSender } from './webhooks.js';

/** The part of a pino logger used here (fastify's app.log fits). */
export interface FollowLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** A logger for the time before the app exists: JSON lines on stderr, pino's level numbers. */
export function stderrLogger(): FollowLogger {
  const line = (level: number) => (obj: object, msg: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, ...obj, msg })}\n`);
  };
  return { debug: () => undefined, info: line(30), warn: line(40), error: line(50) };
}

/**
 * Tells the operator and the webhooks what the updater did: every accepted version (info, a
 * 'version' event), every refusal (warn with its code, a 'refused' event), every fault (warn).
 * `log()` is read at each event: the logger changes to fastify's once the app exists.
 */
export function reportUpdaterEvents(updater: Updater<Classifier>, webhooks: WebhookSender | null, log: () => FollowLogger): void {
  updater.on('update', (u: AppliedUpdate<Classifier>) => {
    log().info({ version: u.snapshot.version, previousVersion: u.previous.version, forced: u.forced, totals: u.diff.totals }, 'data updated');
    webhooks?.send({
      event: 'version',
      version: u.snapshot.version,
      previousVersion: u.previous.version,
      instance: u.snapshot.instance,
      source: 'live',
      fetchedAt: u.snapshot.fetchedAt,
      forced: u.forced,
      diff: u.diff,
    });
  });
  updater.on('refused', (r: CheckResult) => {
    log().warn({ latest: r.latest, versionInUse: r.versionInUse, gate: r.gate, code: r.error?.code, details: r.error?.details }, r.error?.message ?? 'refused');
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
    log().warn({ code: r.error?.code, consecutiveFailures: s.consecutiveFailures, nextCheck: s.nextCheck, backoffUntil: s.backoffUntil }, r.error?.message ?? 'check failed');
  });
  updater.on('warning', (e: M365Error) => log().warn({ code: e.code, details: e.details }, e.message));
  updater.on('checked', (r: CheckResult) => log().debug({ outcome: r.outcome, latest: r.latest }, 'update check'));
  webhooks?.on('failed', (r: WebhookReport) => log().warn({ webhook: r.url, status: r.status, error: r.error, attempts: r.attempt }, 'webhook delivery failed'));
  webhooks?.on('dropped', (r: WebhookReport) => log().warn({ webhook: r.url }, 'webhook queue full: oldest event dropped'));
}

/**
 * Logs re-reads of the state dir or the data file: what changed at info, a refusal at warn with
 * its code (the same offer again, as each status write of the poller brings it, at debug), and
 * keeps the last one and the count of refused offers for the status.
 */
export class ReloadLog {
  last: ReloadReport | null = null;
  refused = 0;
  private lastRefusedKey: string | null = null;

  constructor(private readonly log: () => FollowLogger) {}

  note(r: ReloadReport): void {
    if (r.outcome === 'unchanged') {
      if (r.trigger === 'signal') this.log().info({ reload: r }, `reload (${r.from}): nothing new, still ${r.versionInUse}`);
      return;
    }
    this.last = r;
    if (r.outcome === 'reloaded') {
      this.lastRefusedKey = null;
      this.log().info({ reload: r, version: r.version, previousVersion: r.versionInUse }, r.from === 'state' ? 'data updated from the state dir' : 'data reloaded from the data file');
      return;
    }
    const key = `${r.from} ${r.version ?? ''} ${r.errorCode ?? ''}`;
    const repeat = key === this.lastRefusedKey && r.trigger === 'watch';
    this.lastRefusedKey = key;
    // Counted once per offer: the same file seen again is not a new refusal.
    if (!repeat) this.refused++;
    const msg = `reload (${r.from}) refused at the ${r.gate ?? '?'} gate: ${r.message ?? ''}; still ${r.versionInUse}`;
    if (repeat) this.log().debug({ code: r.errorCode, reload: r }, msg);
    else this.log().warn({ code: r.errorCode, reload: r }, msg);
  }
}
