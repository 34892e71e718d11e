import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OVERSIZE_PROBES, probeOversize, type OversizeContext, type OversizeProbe } from '../../plugin-api/conformance/checks/oversize.js';
import { ContractDoc, packageOpenApiText } from '../../plugin-api/conformance/contract-doc.js';
import { TargetHttp } from '../../plugin-api/conformance/http.js';
import type { CertificationReport } from '../../plugin-api/conformance/index.js';
import { StreamClient, streamUrl } from '../../plugin-api/conformance/stream-client.js';
import { generateScaledWorldwide } from '../../bench/support/generate-sets.js';
import { run as certify } from '../../src/cli/commands/certify.js';
import type { RunningServer } from '../../src/serve/server.js';
import { startTestServer } from './helpers.js';

/**
 * Certification must give our own server the same verdict every time (issue 10: the quick run
 * failed 1 run in 3 on a 2-core machine, always the 16 MiB body). The oversize probes run 50
 * times each against the real server; the whole quick certification, through the CLI, 5 times
 * on a generated data set. Each prints its tally.
 */

const OVERSIZE_RUNS = 50;
const CERTIFY_RUNS = 5;
const TIMEOUT_MS = 10_000;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm365fc-certify-repeat-'));
  // Microsoft's 2020-05 response and one synthetic copy of it: new prefixes, hosts and ports.
  const data = join(dir, 'generated.json');
  writeFileSync(data, JSON.stringify(generateScaledWorldwide(2, 0x10)));
  server = await startTestServer(['--data', data]);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the oversize probes against our own server', () => {
  it(`get ${OVERSIZE_RUNS} coded answers out of ${OVERSIZE_RUNS}, each of them`, async () => {
    const http = new TargetHttp(server.url, undefined, TIMEOUT_MS);
    const ctx: OversizeContext = {
      http,
      timeoutMs: TIMEOUT_MS,
      contract: new ContractDoc(packageOpenApiText() ?? '', 'package'),
      openStream: () => StreamClient.open(streamUrl(server.url), undefined, TIMEOUT_MS),
    };
    const coded: Record<OversizeProbe, number> = { 'body-length': 0, 'body-chunked': 0, message: 0 };
    const failures: string[] = [];
    const t0 = performance.now();
    try {
      for (let i = 0; i < OVERSIZE_RUNS; i++) {
        for (const which of OVERSIZE_PROBES) {
          const p = await probeOversize(ctx, which);
          if (p === null) coded[which]++;
          else failures.push(`run ${i + 1}: ${p.probe}: ${p.kind ?? 'answer'}: ${p.actual}`);
        }
      }
    } finally {
      await http.close();
    }
    console.log(`oversize probes, coded answers of ${OVERSIZE_RUNS} each: ${JSON.stringify(coded)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(failures).toEqual([]);
    expect(coded).toEqual({ 'body-length': OVERSIZE_RUNS, 'body-chunked': OVERSIZE_RUNS, message: OVERSIZE_RUNS });
  }, 120_000);
});

describe('the quick certification of our own server on a generated data set', () => {
  it(`passes ${CERTIFY_RUNS} runs out of ${CERTIFY_RUNS}`, async () => {
    const runs: string[] = [];
    let passes = 0;
    for (let i = 1; i <= CERTIFY_RUNS; i++) {
      const report = join(dir, `report-${i}`);
      // The CLI as a user runs it; its text goes to the report, not to the test output. A
      // shorter performance window: performance is measured, not judged, in the quick profile.
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      let status: number;
      try {
        status = await certify(['--target', server.url, '--profile', 'quick', '--duration-s', '0.5', '--report', report]);
      } finally {
        vi.restoreAllMocks();
      }
      const r = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as CertificationReport;
      const failed = r.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id} (${c.failure ?? ''}): ${c.summary}`);
      if (status === 0 && r.summary.ok) passes++;
      runs.push(`run ${i}: exit ${status}, ${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.skipped} skipped in ${(r.durationMs / 1000).toFixed(1)} s${failed.length ? `: ${failed.join('; ')}` : ''}`);
    }
    console.log(`quick certification, ${passes} passes of ${CERTIFY_RUNS}:\n  ${runs.join('\n  ')}`);
    expect(runs.filter((r) => !/exit 0, \d+ passed, 0 failed/.test(r))).toEqual([]);
    expect(passes).toBe(CERTIFY_RUNS);
  }, 300_000);
});
