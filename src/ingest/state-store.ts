import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { M365Error, isM365Error } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import { parseDataDocument, serializeSnapshot } from './snapshot-file.js';

/**
 * The state directory:
 *   installation.json     { clientRequestId, createdAt }: the GUID sent on every upstream request,
 *                         generated once (crypto.randomUUID) and never changed afterwards
 *   last-known-good.json  the data last taken from upstream, as an m365fc snapshot document
 *                         (so `--data` can read it too); origin holds the request URL
 *   updater-status.json   when the last check ran and how it went, so a restart keeps to
 *                         Microsoft's "at most once an hour" and to a 429 back-off
 *   updater.lock          { pid, hostname, since }: the one process that polls upstream when
 *                         several (workers, services) share the directory; the others follow
 *                         last-known-good.json
 * Every write is atomic: temp file, fsync, rename, fsync of the directory. A file that does not
 * parse is reported (M365FC_ERR_STORE_CORRUPT), renamed to `<name>.corrupt` and skipped.
 */

export const INSTALLATION_FILE = 'installation.json';
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

function ioError(op: string, path: string, err: unknown): M365Error {
  const e = err as NodeJS.ErrnoException;
  return new M365Error('M365FC_ERR_STORE_IO', `Cannot ${op} ${path}: ${e.message}`, { path, op, cause: e.code ?? 'unknown' });
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Some file systems refuse fsync on a directory; that is not fatal.
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    return;
  } finally {
    await h?.close();
  }
}

async function writeSynced(path: string, data: string): Promise<void> {
  const h = await fs.open(path, 'wx', 0o644);
  try {
    await h.writeFile(data, 'utf8');
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `data` to `path` so that a reader sees either the old file or the whole new one. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await writeSynced(tmp, data);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', path, err);
  }
  await fsyncDir(dirname(path));
}

export class StateStore {
  readonly dir: string;
  private readonly report: StoreReporter;

  constructor(dir: string, report: StoreReporter = () => undefined) {
    this.dir = dir;
    this.report = report;
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

  async writeLastKnownGood(snapshot: Snapshot, now: Date = new Date()): Promise<void> {
    await this.init();
    await writeFileAtomic(this.path(LAST_KNOWN_GOOD_FILE), serializeSnapshot(snapshot, now));
  }

  async readStatus(): Promise<LoadResult<PersistedStatus>> {
    return this.readJson(this.path(STATUS_FILE), parseStatus);
  }

  async writeStatus(status: PersistedStatus): Promise<void> {
    await this.init();
    await writeFileAtomic(this.path(STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`);
  }

  /**
   * Takes the poller's lock unless a live process holds it. A lock of a dead process on this
   * host, or one not refreshed (touchLock) for `staleAfterMs` (a holder on another host sharing
   * the directory), is taken over.
   */
  async acquireLock(staleAfterMs: number, now: Date = new Date()): Promise<boolean> {
    await this.init();
    const path = this.path(LOCK_FILE);
    const mine = JSON.stringify({ pid: process.pid, hostname: hostname(), since: now.toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(path, mine, { flag: 'wx' });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', path, err);
      }
      if (!(await this.lockIsStale(path, staleAfterMs, now))) return false;
      await fs.rm(path, { force: true }).catch(() => undefined);
    }
    return false;
  }

  /** True when this process holds the lock. */
  async holdsLock(): Promise<boolean> {
    try {
      const o = JSON.parse(await fs.readFile(this.path(LOCK_FILE), 'utf8')) as { pid?: unknown; hostname?: unknown };
      return o.pid === process.pid && o.hostname === hostname();
    } catch {
      return false;
    }
  }

  /** Marks the lock as still held (its mtime), for holders on other hosts to see. */
  async touchLock(now: Date = new Date()): Promise<void> {
    await fs.utimes(this.path(LOCK_FILE), now, now).catch(() => undefined);
  }

  async releaseLock(): Promise<void> {
    if (await this.holdsLock()) await fs.rm(this.path(LOCK_FILE), { force: true }).catch(() => undefined);
  }

  private async lockIsStale(path: string, staleAfterMs: number, now: Date): Promise<boolean> {
    let holder: { pid?: unknown; hostname?: unknown };
    let mtime: number;
    try {
      holder = JSON.parse(await fs.readFile(path, 'utf8')) as { pid?: unknown; hostname?: unknown };
      mtime = (await fs.stat(path)).mtimeMs;
    } catch {
      // Unreadable or half-written: stale only once it is old, so a writer racing us wins.
      try {
        return now.getTime() - (await fs.stat(path)).mtimeMs > 5000;
      } catch {
        return true;
      }
    }
    if (holder.hostname === hostname() && typeof holder.pid === 'number') {
      if (holder.pid === process.pid) return false;
      try {
        process.kill(holder.pid, 0);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return now.getTime() - mtime > staleAfterMs;
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
