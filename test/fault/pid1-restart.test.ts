import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/follow/state-store.js';
import { REPO_ROOT } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { tempDir } from './helpers.js';

/**
 * Issue 16 item 2: `m365fc serve` restarted as pid 1 (what every container restart does) must
 * poll again, although the lock left by the killed run names pid 1, which is alive (it is the new
 * process itself). Both runs are pid 1 of their own PID namespace (unshare -pf --mount-proc),
 * the first is killed (SIGKILL: no chance to release the lock), against the fake upstream.
 */

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

function pidNamespaces(): { ok: boolean; why: string } {
  if (!existsSync(CLI)) return { ok: false, why: 'dist/ is not built' };
  const r = spawnSync('unshare', ['-pf', '--mount-proc', 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, why: `unshare -pf --mount-proc does not work here: ${r.error?.message ?? r.stderr}` };
  return r.stdout.trim() === '1' ? { ok: true, why: '' } : { ok: false, why: `not pid 1 in the namespace: ${r.stdout}` };
}

const NS = pidNamespaces();
if (!NS.ok && process.env['CI']) throw new Error(`PID namespaces are needed in CI: ${NS.why}`);

let fake: FakeUpstream;
let tmp: { dir: string; cleanup: () => void };
const children: ChildProcess[] = [];

beforeEach(async () => {
  fake = await FakeUpstream.start();
  tmp = tempDir();
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fake.close();
  tmp.cleanup();
});

/** Starts serve as pid 1 of a new PID namespace; resolves with its log lines once it serves. */
function serveAsPid1(stateDir: string): Promise<{ child: ChildProcess; lines: string[] }> {
  const args = ['-pf', '--mount-proc', '--kill-child=SIGKILL', process.execPath, CLI, 'serve', '--port', '0', '--log-level', 'info'];
  args.push('--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6', '--poll-interval', '1');
  const child = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer): void => {
      buffered += d.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        if (l.includes('"msg":"serving"')) resolve({ child, lines });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${lines.join('\n')}`)));
  });
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe.skipIf(!NS.ok)(`restart as pid 1${NS.ok ? '' : ` (skipped: ${NS.why})`}`, () => {
  it('the second run, pid 1 again with the first run\'s lock left behind, polls upstream', async () => {
    const stateDir = join(tmp.dir, 'state');
    const first = await serveAsPid1(stateDir);
    const lock = JSON.parse(readFileSync(join(stateDir, LOCK_FILE), 'utf8')) as { pid: number; token: string };
    expect(lock.pid).toBe(1);
    expect(fake.count('version')).toBeGreaterThanOrEqual(1);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // The killed run could not release its lock.
    expect(JSON.parse(readFileSync(join(stateDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 1, token: lock.token });

    const asked = fake.count('version');
    const second = await serveAsPid1(stateDir);
    // With --poll-interval 1 the next check is due a second after the first run's.
    expect(await until(() => fake.count('version') > asked, 15_000)).toBe(true);
    const now = JSON.parse(readFileSync(join(stateDir, LOCK_FILE), 'utf8')) as { pid: number; token: string };
    expect(now.pid).toBe(1);
    expect(now.token).not.toBe(lock.token);
    expect(second.lines.some((l) => l.includes('another process polls upstream'))).toBe(false);
  }, 60_000);
});
