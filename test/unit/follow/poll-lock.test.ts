import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PollLock, processStartTime } from '../../../src/follow/poll-lock.js';
import { tempDir } from '../../fault/helpers.js';

/** Issue 16 item 2, the lock state written by hand: a pid alone does not make a holder. */

let tmp: { dir: string; cleanup: () => void };
let path: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  tmp = tempDir('m365fc-lock-');
  path = join(tmp.dir, 'updater.lock');
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  tmp.cleanup();
});

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** A live process that is not the holder: a sleeping child. */
function otherProcess(): number {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(c);
  if (c.pid === undefined) throw new Error('spawn failed');
  return c.pid;
}

function writeLock(o: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify({ hostname: hostname(), since: new Date().toISOString(), bootId: bootId(), ...o }));
}

describe('the poll lock', () => {
  it('reads the start time of a process from /proc', () => {
    const t = processStartTime(process.pid);
    expect(t).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(t);
  });

  it('our own pid with a token this process never handed out (a restart as pid 1) is taken over', async () => {
    writeLock({ pid: process.pid, token: 'an-earlier-run', startTime: '1' });
    const lock = new PollLock(path);
    expect(await lock.acquire(3_600_000)).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, token: lock.token });
    expect(await lock.holds()).toBe(true);
  });

  it('a live pid that started at another time than the holder (pid reused) is taken over', async () => {
    const pid = otherProcess();
    writeLock({ pid, token: 'someone', startTime: '1' });
    expect(await new PollLock(path).acquire(3_600_000)).toBe(true);
  });

  it('a live process that is the holder (pid and start time) keeps it', async () => {
    const pid = otherProcess();
    writeLock({ pid, token: 'someone', startTime: processStartTime(pid) });
    expect(await new PollLock(path).acquire(3_600_000)).toBe(false);
  });

  it('a lock of an earlier boot is taken over', async () => {
    const pid = otherProcess();
    writeLock({ pid, token: 'someone', startTime: processStartTime(pid), bootId: '00000000-0000-4000-8000-000000000000' });
    expect(await new PollLock(path).acquire(3_600_000)).toBe(true);
  });

  it('two locks of one process: the second does not take the first one\'s', async () => {
    const a = new PollLock(path);
    const b = new PollLock(path);
    expect(await a.acquire(3_600_000)).toBe(true);
    expect(await b.acquire(3_600_000)).toBe(false);
    await a.release();
    expect(await b.acquire(3_600_000)).toBe(true);
  });
});
