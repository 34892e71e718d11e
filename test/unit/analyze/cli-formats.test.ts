/**
 * The built CLI on flow-log formats: exit 0 when records were read, 2 when none could be,
 * naming the detected format and the first bad line's reason; --format, --internal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/analyze/summary.js';
import { REPO_ROOT, realResponsePath } from '../../support/data.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
const FIX = join(REPO_ROOT, 'test/fixtures/flow-logs');
const DATA = realResponsePath('worldwide-commit20200531.json');
const dir = mkdtempSync(join(tmpdir(), 'm365fc-analyze-formats-cli-'));

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function m365fc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--data', DATA, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('m365fc analyze on flow-log formats', () => {
  it('exit 0 on a two-direction VPC log: connections, ExpressRoute and the internal-destination warning in the text', () => {
    const r = m365fc([join(FIX, 'aws-vpc/default-v2.log')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('14 records from 1 input(s), 0 bad lines');
    expect(r.stdout).toContain('6 connections');
    expect(r.stdout).toContain('could leave locally (Optimize + Allow): 93.0% of bytes');
    expect(r.stdout).toContain('ExpressRoute-eligible (expressRoute: true): 93.0% of bytes (4 flows, 80.0 kB)');
    expect(r.stdout).toContain('warning: 1 flows have an internal destination (10.2.0.5)');
  });

  it('exit 2 when every line is bad, naming the format and the first reason', () => {
    const bad = join(dir, 'bad.log');
    writeFileSync(bad, '2 123456789010 eni-0a1b2c3d4e5f60001 10.1.0.10 999.1.1.1 50001 443 6 10 100 1767225600 1767225655 ACCEPT OK\n');
    const r = m365fc([bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('M365FC_ERR_ANALYZE_NO_RECORDS');
    expect(r.stderr).toContain(`${bad}: aws-vpc`);
    expect(r.stderr).toContain(`(${bad} line 1): M365FC_ERR_FLOW_BAD_IP`);
  });

  it('exit 2 on an empty input; exit 2 for an unknown --format or a bad --internal', () => {
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const r = m365fc([empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${empty}: empty`);
    expect(m365fc([empty, '--format', 'netflow-v5']).status).toBe(2);
    const i = m365fc([empty, '--internal', '10.0.0.0/33']);
    expect(i.status).toBe(2);
    expect(i.stderr).toContain('--internal "10.0.0.0/33"');
  });

  it('--format names a format; --json gives summary.json with inputs and expressRoute', () => {
    const r = m365fc([join(FIX, 'nfdump/flows.csv'), '--format', 'nfdump', '--json', '--internal', '10.1.0.0/16,192.168.0.0/16']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.inputs[0]).toMatchObject({ format: 'nfdump', records: 12, skipped: 3, badLines: 0 });
    expect(s.expressRoute).toMatchObject({ flows: 4, bytes: 80_000 });
    expect(s.internal).toEqual(['10.1.0.0/16', '192.168.0.0/16']);
    expect(s.internalDestinations.flows).toBe(0);
  });
});
