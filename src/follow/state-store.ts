import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { M365Error, isM365Error } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import { parseDataDocument, serializeSnapshot } from '../ingest/snapshot-file.js';
import { fsyncDir, ioError, writeFileAtomic, writeSynced } from './atomic-file.js';
import { PollLock } from './poll-lock.js';
import { describeQuery, queryJson, queryOfOrigin, sameQuery, type UpstreamQuery } from './query.js';

export { writeFileAtomic } from './atomic-file.js';

/**
 * The state directory:
 *   installation.json     { clientRequestId, createdAt }: the GUID sent on every upstream request,
 *                         generated once (crypto.randomUUID) and never changed afterwards
 *   query.json            the query the directory is filled with (instance, tenant, NoIPv6,
 *                         service areas): a command following another query refuses to write
 *                         here unless told to start the directory anew (--reset-state-dir)
 *   last-known-good.json  the data last taken from upstream, as an m365fc snapshot document
 *                         (so `--data` can read it too); origin holds the request URL
 *   updater-status.json   when the last check ran and how it went, so a restart keeps to
 *                         Microsoft's "at most once an hour" and to a 429 back-off
 *   updater.lock          the one process that polls upstream when several (workers, services)
 *                         share the directory; the others follow last-known-good.json (poll-lock.ts)
 * Every write is atomic: temp file, fsync, rename, fsync of the directory. A file that does not
 * parse is reported (M365FC_ERR_STORE_CORRUPT), renamed to `<name>.corrupt` and skipped.
 */

export const INSTALLATION_FILE = 'installation.json';
export const QUERY_FILE = 'query.json';
export const LAST_KNOWN_GOOD_FILE = 'last-known-good.json';
export const STATUS_FILE = 'updater-status.json';
export const LOCK_FILE = 'updater.lock';

export interface Installation {
  readonly clientRequestId: string;
  readonly createdAt: string;
}

/** What survives a restart of the updater's bookkeeping. Times are epoch milliseconds. */
export interface PersistedStatus {
  readonly lastAttempt: number | null;
  readonly lastSuccess: number | null;
  readonly lastErrorCode: string | null;
  readonly consecutiveFailures: number;
  readonly backoffUntil: number | null;
  readonly refusedVersion: string | null;
  readonly refusedCode: string | null;
}

export type LoadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: M365Error } | null;

/** Reports a corrupt file that was skipped; the store goes on. */
export type StoreReporter = (error: M365Error) => void;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function mismatch(dir: string, recorded: UpstreamQuery, asked: UpstreamQuery): M365Error {
  return new M365Error(
    'M365FC_ERR_STORE_QUERY_MISMATCH',
    `State dir ${dir} holds data for ${describeQuery(recorded)}, not ${describeQuery(asked)}; use another --state-dir, or --reset-state-dir to start it anew`,
    { dir, recorded: describeQuery(recorded), asked: describeQuery(asked) },
  );
}

export class StateStore {
  readonly dir: string;
  private readonly report: StoreReporter;
  private readonly lock: PollLock;
  /** The query this store claimed for the directory (claim), or null. */
  private claimed: UpstreamQuery | null = null;

  constructor(dir: string, report: StoreReporter = () => undefined) {
    this.dir = dir;
    this.report = report;
    this.lock = new PollLock(join(dir, LOCK_FILE));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async init(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      throw ioError('create', this.dir, err);
    }
  }

  /**
   * The installation's clientrequestid: read, or generated once and kept. Two processes starting
   * on an empty directory agree: the file is published with link(), which fails if it exists.
   */
  async installation(now: Date = new Date()): Promise<Installation> {
    await this.init();
    const path = this.path(INSTALLATION_FILE);
    const existing = await this.readJson(path, parseInstallation);
    if (existing?.ok) return existing.value;
    const fresh: Installation = { clientRequestId: randomUUID(), createdAt: now.toISOString() };
    const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
    try {
      await writeSynced(tmp, `${JSON.stringify(fresh, null, 2)}\n`);
      await fs.link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const won = await this.readJson(path, parseInstallation);
        if (won?.ok) return won.value;
      }
      throw ioError('write', path, err);
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
    await fsyncDir(this.dir);
    return fresh;
  }

  /** The last-known-good snapshot, or null when there is none (a corrupt one is reported). */
  async readLastKnownGood(): Promise<LoadResult<Snapshot>> {
    return this.readText(this.path(LAST_KNOWN_GOOD_FILE), (text) => parseDataDocument(text));
  }

  /** Written only while the directory still records the query this store claimed (if any). */
  async writeLastKnownGood(snapshot: Snapshot, now: Date = new Date()): Promise<void> {
    await this.init();
    if (this.claimed !== null) {
      const recorded = await this.readQuery();
      if (recorded?.ok && !sameQuery(recorded.value, this.claimed)) throw mismatch(this.dir, recorded.value, this.claimed);
    }
    await writeFileAtomic(this.path(LAST_KNOWN_GOOD_FILE), serializeSnapshot(snapshot, now));
  }

  /** The query the directory records; null when it records none. */
  async readQuery(): Promise<LoadResult<UpstreamQuery>> {
    return this.readJson(this.path(QUERY_FILE), parseQuery);
  }

  /**
   * Claims the directory for `query`. A directory recording another query (or, from before
   * query.json, holding a last-known-good fetched with another one) is refused with
   * M365FC_ERR_STORE_QUERY_MISMATCH, unless `reset`: then its data, status and lock are removed
   * (the clientrequestid stays: it names the installation) and the new query is recorded. A
   * process of the old query still running keeps answering from memory; its writes are refused.
   */
  async claim(query: UpstreamQuery, o: { reset?: boolean; now?: Date } = {}): Promise<{ reset: boolean }> {
    await this.init();
    const recorded = await this.readQuery();
    let other: UpstreamQuery | null = recorded?.ok ? recorded.value : null;
    if (other === null) {
      const lkg = await this.readLastKnownGood();
      other = lkg?.ok ? queryOfOrigin(lkg.value.origin) : null;
    }
    const differs = other !== null && !sameQuery(other, query);
    if (differs && o.reset !== true) throw mismatch(this.dir, other as UpstreamQuery, query);
    if (differs) {
      for (const f of [LAST_KNOWN_GOOD_FILE, STATUS_FILE, LOCK_FILE]) {
        try {
          await fs.rm(this.path(f), { force: true });
        } catch (err) {
          throw ioError('remove', this.path(f), err);
        }
      }
    }
    if (differs || !recorded?.ok) {
      await writeFileAtomic(this.path(QUERY_FILE), `${JSON.stringify({ ...queryJson(query), since: (o.now ?? new Date()).toISOString() }, null, 2)}\n`);
    }
    this.claimed = query;
    return { reset: differs };
  }

  async readStatus(): Promise<LoadResult<PersistedStatus>> {
    return this.readJson(this.path(STATUS_FILE), parseStatus);
  }

  async writeStatus(status: PersistedStatus): Promise<void> {
    await this.init();
    await writeFileAtomic(this.path(STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`);
  }

  /** Takes the poller's lock unless another live process holds it (poll-lock.ts). */
  async acquireLock(staleAfterMs: number, now: Date = new Date()): Promise<boolean> {
    await this.init();
    return this.lock.acquire(staleAfterMs, now);
  }

  /** True when this store (this process, this token) holds the lock. */
  holdsLock(): Promise<boolean> {
    return this.lock.holds();
  }

  /** Marks the lock as still held (its mtime), for holders on other hosts to see. */
  touchLock(now: Date = new Date()): Promise<void> {
    return this.lock.touch(now);
  }

  releaseLock(): Promise<void> {
    return this.lock.release();
  }

  private async readJson<T>(path: string, parse: (data: unknown) => T): Promise<LoadResult<T>> {
    return this.readText(path, (text) => parse(JSON.parse(text) as unknown));
  }

  private async readText<T>(path: string, parse: (text: string) => T): Promise<LoadResult<T>> {
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      const error = ioError('read', path, err);
      this.report(error);
      return { ok: false, error };
    }
    try {
      return { ok: true, value: parse(text) };
    } catch (err) {
      const cause = isM365Error(err) ? err.code : 'M365FC_ERR_INGEST_BAD_JSON';
      const error = new M365Error('M365FC_ERR_STORE_CORRUPT', `State file ${path} is corrupt and was skipped: ${(err as Error).message}`, {
        path,
        cause,
        setAside: `${path}.corrupt`,
      });
      // Kept for inspection; the next good write replaces the original name.
      await fs.rename(path, `${path}.corrupt`).catch(() => undefined);
      this.report(error);
      return { ok: false, error };
    }
  }
}

function parseInstallation(data: unknown): Installation {
  const o = data as Partial<Installation> | null;
  if (typeof o !== 'object' || o === null || typeof o.clientRequestId !== 'string' || !GUID.test(o.clientRequestId)) {
    throw new Error('installation.json lacks a clientRequestId GUID');
  }
  return { clientRequestId: o.clientRequestId.toLowerCase(), createdAt: typeof o.createdAt === 'string' ? o.createdAt : '' };
}

function parseStatus(data: unknown): PersistedStatus {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('updater-status.json is not an object');
  const o = data as Record<string, unknown>;
  const num = (k: string): number | null => {
    const v = o[k];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`updater-status.json: ${k} is not a number`);
    return v;
  };
  const str = (k: string): string | null => {
    const v = o[k];
    if (v === null || v === undefined) return null;
    if (typeof v !== 'string') throw new Error(`updater-status.json: ${k} is not a string`);
    return v;
  };
  return {
    lastAttempt: num('lastAttempt'),
    lastSuccess: num('lastSuccess'),
    lastErrorCode: str('lastErrorCode'),
    consecutiveFailures: num('consecutiveFailures') ?? 0,
    backoffUntil: num('backoffUntil'),
    refusedVersion: str('refusedVersion'),
    refusedCode: str('refusedCode'),
  };
}

function parseQuery(data: unknown): UpstreamQuery {
  const o = data as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || typeof o['instance'] !== 'string') throw new Error('query.json lacks an instance');
  const areas = o['serviceAreas'];
  if (areas !== undefined && !(Array.isArray(areas) && areas.every((a) => typeof a === 'string'))) throw new Error('query.json: serviceAreas is not a list of names');
  const tenant = o['tenantName'];
  return {
    instance: o['instance'] as UpstreamQuery['instance'],
    ...(typeof tenant === 'string' ? { tenantName: tenant } : {}),
    ...(o['noIPv6'] === true ? { noIPv6: true } : {}),
    ...(Array.isArray(areas) && areas.length > 0 ? { serviceAreas: areas as string[] } : {}),
  };
}
