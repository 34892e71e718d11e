import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/certify.js';
import { readDataFile } from '../../src/index.js';
import type { CertificationReport } from '../../plugin-api/conformance/index.js';
import { startThinTarget, type ThinTarget } from '../support/broken-targets.js';
import { realResponsePath } from '../support/data.js';

/** `m365fc certify` end to end: options, exit status, report files. */

const dataFile = realResponsePath('worldwide-commit20200531.json');
const snapshot = readDataFile(dataFile);
const fast = ['--duration-s', '0.1', '--concurrency', '2'];
let dir: string;
let good: ThinTarget;
let apex: ThinTarget;
let out: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm365fc-certify-cli-'));
  good = await startThinTarget({ snapshot });
  apex = await startThinTarget({ snapshot, misbehave: 'apex' });
});

afterAll(async () => {
  await good.close();
  await apex.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(): void {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
}

describe('m365fc certify', () => {
  it('exits 2 on bad usage', async () => {
    capture();
    expect(await run([])).toBe(2);
    expect(await run(['--target', good.url, '--profile', 'slow'])).toBe(2);
    expect(await run(['--target', good.url, '--threshold-rps', 'many'])).toBe(2);
    expect(await run(['--target', good.url, '--bogus'])).toBe(2);
  });

  it('exits 0 against a correct target, with --data, and writes the three reports', async () => {
    capture();
    const report = join(dir, 'good');
    expect(await run(['--target', good.url, '--data', dataFile, '--report', report, ...fast])).toBe(0);
    expect(out).toMatch(/not a Microsoft certification/);
    for (const f of ['report.json', 'junit.xml', 'report.html']) expect(existsSync(join(report, f))).toBe(true);
    const json = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as CertificationReport;
    expect(json.data.source).toBe('given');
    expect(json.summary.ok).toBe(true);
  });

  it('exits 1 against a broken target, the reference built from its own /v1/endpoints', async () => {
    capture();
    const report = join(dir, 'apex');
    expect(await run(['--target', apex.url, '--report', report, ...fast])).toBe(1);
    const json = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as CertificationReport;
    expect(json.data.source).toBe('target');
    expect(json.checks.filter((c) => c.verdict === 'fail').map((c) => c.id)).toEqual(['correctness.wildcard-apex']);
    const junit = readFileSync(join(report, 'junit.xml'), 'utf8');
    expect(junit.match(/<failure /g)?.length).toBe(1);
    const html = readFileSync(join(report, 'report.html'), 'utf8');
    // Failures first: the failed check is the first row of the summary table.
    expect(html.indexOf('#correctness.wildcard-apex')).toBeLessThan(html.indexOf('#contract.openapi'));
  });

  it('fails the performance check only when a threshold is given and missed', async () => {
    capture();
    expect(await run(['--target', good.url, '--threshold-p99-ms', '0.000001', ...fast])).toBe(1);
    expect(out).toMatch(/FAIL\s+performance\.classify-get/);
  });
});
