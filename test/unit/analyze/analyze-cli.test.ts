/**
 * `m365fc analyze` as a user runs it: the built CLI (dist/, which `npm test` builds first) in a
 * child process, on files and on standard input, with its exit statuses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/analyze/summary.js';
import { REPO_ROOT } from '../../support/data.js';
import { EXPECTED, FIXTURE_SETS, fixtureLog } from '../../support/analyze-fixture.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'm365fc-analyze-cli-'));
const data = join(dir, 'sets.json');
const log = join(dir, 'flows.csv');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  writeFileSync(data, JSON.stringify(FIXTURE_SETS));
  writeFileSync(log, fixtureLog('csv').text);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function m365fc(args: string[], input?: Buffer | string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'analyze', ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('m365fc analyze', () => {
  it('writes summary.json and report.html, prints a short summary, draws no progress bar off a terminal', () => {
    const report = join(dir, 'report');
    const r = m365fc([log, '--data', data, '--report', report]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('41 records from 1 input(s), 7 bad lines');
    expect(r.stdout).toMatch(/Optimize\s+24 flows\s+23\.2 kB\s+31\.3%/);
    expect(r.stdout).toContain('could leave locally (Optimize + Allow): 33.3% of bytes');
    expect(r.stdout).toContain('Optimize through a proxy/VPN: 77.7% (14 flows, 18.0 kB)');
    expect(r.stdout).toContain('required endpoint sets never seen: 6, 7');
    const s = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8')) as Summary;
    expect(s.byCategory).toEqual(EXPECTED.byCategory);
    expect(s.badLines).toBe(7);
    expect(readFileSync(join(report, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('reads gzip from standard input with --json', () => {
    const r = m365fc(['-', '--data', data, '--json'], gzipSync(fixtureLog('jsonl').text));
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.byCategory).toEqual(EXPECTED.byCategory);
    expect(s.inputs[0]).toMatchObject({ name: '-', format: 'jsonl', gzip: true });
  });

  it('exit 1 when an input stops early (the report is still written), or cannot be opened', () => {
    const gz = gzipSync(fixtureLog('csv').text.repeat(50));
    const cut = join(dir, 'cut.csv.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 20));
    const report = join(dir, 'cut-report');
    const r = m365fc([cut, '--data', data, '--report', report]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cut\.csv\.gz: stopped early: unexpected end of file/);
    expect(existsSync(join(report, 'report.html'))).toBe(true);

    const missing = m365fc([join(dir, 'nope.csv'), '--data', data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv/);
  });

  it('exit 2 on bad usage', () => {
    expect(m365fc([log, '--format', 'xml']).status).toBe(2);
    const map = m365fc([log, '--map', 'dst']);
    expect(map.status).toBe(2);
    expect(map.stderr).toContain('--map "dst": expected COLUMN=FIELD');
    expect(m365fc([log, '--frobnicate']).status).toBe(2);
    const help = m365fc(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: m365fc analyze FILE...');
  });
});
