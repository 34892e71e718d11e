import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../fault/helpers.js';
import { REPO_ROOT, realResponsePath } from '../support/data.js';

/**
 * `--data` problems as the operator meets them: the built CLI (npm test builds dist/ first)
 * exits 1 with the code on stderr, never a bare ENOENT or EISDIR (issue 16, item 7).
 */

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

function run(args: string[]): { status: number | null; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('m365fc --data', () => {
  it('a missing file or a directory is a coded error, for classify and serve', () => {
    const tmp = tempDir();
    try {
      const dir = join(tmp.dir, 'a-directory');
      mkdirSync(dir);
      for (const [path, why] of [
        [join(tmp.dir, 'missing.json'), 'does not exist'],
        [dir, 'is a directory'],
      ] as const) {
        for (const cmd of [['classify', '--ip', '8.8.8.8'], ['serve', '--port', '0']]) {
          const r = run([...cmd, '--data', path]);
          expect(r.status, r.stderr).toBe(1);
          expect(r.stderr).toBe(`m365fc: M365FC_ERR_INGEST_UNREADABLE: The data file ${path} ${why}\n`);
        }
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('a snapshot whose fetchedAt is not a date is refused', () => {
    const tmp = tempDir();
    try {
      const good = join(tmp.dir, 'good.json');
      expect(run(['snapshot', '--data', realResponsePath('worldwide-commit20190109.json'), '--out', good, '--version', '2019010700']).status).toBe(0);
      const doc = JSON.parse(readFileSync(good, 'utf8')) as Record<string, unknown>;
      const bad = join(tmp.dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ ...doc, fetchedAt: 'not-a-date' }));
      const r = run(['classify', '--data', bad, '--ip', '8.8.8.8']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^m365fc: M365FC_ERR_INGEST_BAD_SNAPSHOT: .*fetchedAt/);
      writeFileSync(bad, JSON.stringify({ ...doc, fetchedAt: '2019-01-09T10:00:00.000Z' }));
      expect(run(['classify', '--data', bad, '--ip', '8.8.8.8']).status).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('serve --data F --state-dir D (no --upstream) says on start that the state dir is not used', async () => {
    const tmp = tempDir();
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--data', realResponsePath('worldwide-commit20190109.json'), '--state-dir', join(tmp.dir, 'state'), '--max-event-loop-delay-ms', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          if (stdout.includes('"msg":"serving"')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(`${stdout}${stderr}`).toMatch(/--state-dir is not used: with --data, nothing is followed unless --upstream is given too/);
      // Nothing was written to the state dir.
      expect(existsSync(join(tmp.dir, 'state'))).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      tmp.cleanup();
    }
  });
});
