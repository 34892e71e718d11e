import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ioError } from './atomic-file.js';

/**
 * updater.lock: which one of the processes sharing a state dir polls upstream.
 *
 * A pid alone does not name a process: in a container every run is pid 1, and pids are reused.
 * So the lock records, besides pid and host, a random token (this process's, kept in memory) and
 * the process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot) and the boot id.
 * A lock counts as held only while a process with that pid AND that start time (same boot) is
 * alive; a lock naming our own pid with a token this process did not hand out is a previous
 * incarnation (a restart as pid 1) and is taken over. Where /proc is missing, a live pid counts
 * as the holder (as before).
 * A holder on another host is judged by the lock's mtime (touch), as it cannot be probed.
 */

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
  readonly token?: string;
  /** Start time of the process in clock ticks since boot; null where /proc is missing. */
  readonly startTime?: string | null;
  readonly bootId?: string | null;
}

/** Start time of a process (clock ticks after boot), or null when it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Tokens of the locks this process holds (several state stores may share one process: tests, tools). */
const HELD_HERE = new Set<string>();

export class PollLock {
  /** This process's token; the same across acquire calls of one PollLock. */
  readonly token = randomUUID();

  constructor(readonly path: string) {}

  /** Takes the lock unless another live process holds it; a stale lock is taken over. */
  async acquire(staleAfterMs: number, now: Date = new Date()): Promise<boolean> {
    const mine: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      since: now.toISOString(),
      token: this.token,
      startTime: processStartTime(process.pid),
      bootId: bootId(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(this.path, JSON.stringify(mine), { flag: 'wx' });
        HELD_HERE.add(this.token);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', this.path, err);
      }
      if (await this.holds()) return true;
      if (!(await this.isStale(staleAfterMs, now))) return false;
      await fs.rm(this.path, { force: true }).catch(() => undefined);
    }
    return false;
  }

  async holder(): Promise<LockHolder | null> {
    try {
      const o = JSON.parse(await fs.readFile(this.path, 'utf8')) as Partial<LockHolder> | null;
      if (typeof o !== 'object' || o === null || typeof o.pid !== 'number' || typeof o.hostname !== 'string') return null;
      return o as LockHolder;
    } catch {
      return null;
    }
  }

  /** True when this process (this token) holds the lock. */
  async holds(): Promise<boolean> {
    const h = await this.holder();
    return h !== null && h.token === this.token && h.pid === process.pid && h.hostname === hostname();
  }

  /** Marks the lock as still held (its mtime), for holders on other hosts to see. */
  async touch(now: Date = new Date()): Promise<void> {
    await fs.utimes(this.path, now, now).catch(() => undefined);
  }

  async release(): Promise<void> {
    if (await this.holds()) await fs.rm(this.path, { force: true }).catch(() => undefined);
    HELD_HERE.delete(this.token);
  }

  private async isStale(staleAfterMs: number, now: Date): Promise<boolean> {
    let mtime: number;
    try {
      mtime = (await fs.stat(this.path)).mtimeMs;
    } catch {
      return true;
    }
    const h = await this.holder();
    // Unreadable or half-written: stale only once it is old, so a writer racing us wins.
    if (h === null) return now.getTime() - mtime > 5000;
    if (h.hostname !== hostname()) return now.getTime() - mtime > staleAfterMs;
    const boot = bootId();
    if (h.bootId != null && boot !== null && h.bootId !== boot) return true;
    // Our own pid: held when one of this process's locks wrote it, else an earlier run of this
    // container (pid 1 again) or a reused pid.
    if (h.pid === process.pid) return h.token === undefined || !HELD_HERE.has(h.token);
    if (!alive(h.pid)) return true;
    const start = processStartTime(h.pid);
    // A live process with that pid that started at another time is not the holder.
    if (h.startTime != null && start !== null) return h.startTime !== start;
    return false;
  }
}
