import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml, renderJunit, runCertification, type CertificationOptions, type CertificationReport } from '../../plugin-api/conformance/index.js';
import { createClassifier, readDataFile } from '../../src/index.js';
import { startThinTarget, type Misbehaviour } from '../support/broken-targets.js';
import { realResponsePath } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';

/**
 * The suite against deliberately broken targets: each fault must fail the checks that concern
 * it and no other. A correct thin target is the control: whatever it fails, the suite got wrong.
 */

// Real data with IPv6 prefixes, nested prefixes and overlapping patterns.
const snapshot = readDataFile(realResponsePath('worldwide-commit20191124.json'), { version: '2019102800' });
const reference = createClassifier(snapshot);
const quick: Partial<CertificationOptions> = { performance: { durationMs: 100, concurrency: 2, batchSize: 50 } };

async function certify(misbehave: Misbehaviour, o: Partial<CertificationOptions> = {}): Promise<CertificationReport> {
  const target = await startThinTarget({ snapshot, misbehave });
  try {
    return await runCertification({ target: target.url, reference, ...quick, ...o });
  } finally {
    await target.close();
  }
}

function failed(r: CertificationReport): string[] {
  return r.checks.filter((c) => c.verdict === 'fail').map((c) => c.id).sort();
}

/** `failure`: how the failed checks failed, when the case is about that (wrong answer or none). */
const CASES: ReadonlyArray<{ misbehave: Misbehaviour; fails: string[]; failure?: 'answer' | 'transport' }> = [
  { misbehave: 'apex', fails: ['correctness.wildcard-apex'] },
  { misbehave: 'ignore-ports', fails: ['correctness.ports', 'correctness.tcp-udp'] },
  { misbehave: 'ipv6-not-m365', fails: ['correctness.ipv6-prefixes', 'correctness.precedence-ipv6'] },
  { misbehave: 'category-first', fails: ['correctness.precedence'] },
  { misbehave: '500-on-bad-input', fails: ['robustness.batch-items', 'robustness.classify-get', 'robustness.classify-post', 'robustness.other-routes', 'robustness.oversize'] },
  { misbehave: 'no-version', fails: ['contract.data-version', 'contract.responses', 'contract.websocket'] },
  { misbehave: 'bare-1009', fails: ['robustness.oversize'], failure: 'answer' },
  { misbehave: 'drop-oversize', fails: ['robustness.oversize'], failure: 'transport' },
];

describe('a correct thin target (the control)', () => {
  it('passes every check', async () => {
    const r = await certify('none');
    expect(failed(r)).toEqual([]);
    expect(r.summary.ok).toBe(true);
  });

  it('passes every check without the optional operations, and says they were not served', async () => {
    const r = await certify('core-only');
    expect(failed(r)).toEqual([]);
    const routes = r.checks.find((c) => c.id === 'contract.routes');
    expect(JSON.stringify(routes?.evidence)).toContain('GET /v1/export/{name} is optional and not served (404)');
  });
});

/** The reports of the cases below, for the failure-kind checks after them. */
const reports = new Map<Misbehaviour, CertificationReport>();

describe.each(CASES)('a target with fault "$misbehave"', ({ misbehave, fails }) => {
  let r: CertificationReport;
  beforeAll(async () => {
    r = await certify(misbehave);
    reports.set(misbehave, r);
  });

  it(`fails exactly ${fails.join(', ')}`, () => {
    expect(failed(r)).toEqual(fails);
    expect(r.summary.ok).toBe(false);
    expect(r.summary.requiredFailed).toBe(fails.length);
  });

  it('lists every failure with its evidence', () => {
    for (const c of r.checks.filter((x) => x.verdict === 'fail')) {
      if (c.group === 'correctness') {
        expect(c.evidence.mismatches?.length).toBe(c.evidence.counts?.['mismatches']);
        for (const m of c.evidence.mismatches ?? []) {
          expect(m).toMatchObject({ flow: expect.any(Object), expected: expect.any(Object), actual: expect.any(Object) });
          expect(m.fields?.length).toBeGreaterThan(0);
        }
      } else {
        expect(c.evidence.problems?.length ?? c.evidence.notes?.length).toBeGreaterThan(0);
      }
    }
  });
});

describe.each(CASES.filter((c) => c.failure !== undefined))('a target with fault "$misbehave": a $failure failure', ({ misbehave, fails, failure }) => {
  it('says so in report.json, junit.xml and report.html', () => {
    const r = reports.get(misbehave)!;
    const checks = r.checks.filter((c) => c.verdict === 'fail');
    expect(checks.map((c) => c.failure)).toEqual(fails.map(() => failure));
    expect(checks.flatMap((c) => c.evidence.problems ?? []).every((p) => p.kind === failure)).toBe(true);
    expect(r.summary.transportFailed).toBe(failure === 'transport' ? fails.length : 0);
    const junit = renderJunit(r);
    const html = renderHtml(r);
    if (failure === 'transport') {
      // JUnit's <error> (no answer) rather than <failure> (a wrong one).
      expect(junit).toMatch(/<error message="[^"]*no answer reached the kit: transport[^"]*" type="transport">[^<]*\n\[no answer: transport\] POST \/v1\/classify/);
      expect(junit).toMatch(/<testsuite name="m365fc.certify.robustness" tests="\d+" failures="0" errors="1"/);
      expect(html).toContain('<td class="fail">fail (no answer: transport)</td>');
      expect(html).toContain('<td>no answer (transport)</td>');
    } else {
      expect(checks[0]?.evidence.problems).toEqual([expect.objectContaining({ probe: expect.stringMatching(/WebSocket/), actual: 'socket closed 1009 without a reason', kind: 'answer' })]);
      expect(junit).toMatch(/<failure message="[^"]*" type="required">/);
      expect(junit).not.toMatch(/<error /);
      expect(html).toContain('<td class="fail">fail (wrong answer)</td>');
    }
  });

});

describe('a target that serves a stale version', () => {
  let fake: FakeUpstream;
  let r: CertificationReport;
  beforeAll(async () => {
    fake = await FakeUpstream.start();
    fake.serve('2020042800');
    r = await certify('none', { upstream: { url: fake.url, publish: () => fake.publish('2020042801', fake.setsOf('2020042800')), boundMs: 600, pollMs: 100 } });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('fails the freshness checks and only those', () => {
    expect(failed(r)).toEqual(['freshness.current', 'freshness.follows']);
    const current = r.checks.find((c) => c.id === 'freshness.current');
    expect(current?.summary).toMatch(/serves 2019102800, the upstream's latest is 2020042800/);
  });
});

describe('a target that does not answer', () => {
  it('passes nothing, measures nothing and returns quickly', async () => {
    const r = await runCertification({ target: 'http://127.0.0.1:1', reference, ...quick, requestTimeoutMs: 2000 });
    expect(r.summary.ok).toBe(false);
    expect(r.checks.filter((c) => c.verdict === 'pass').map((c) => c.id)).toEqual([]);
    expect(r.checks.filter((c) => c.group === 'performance').map((c) => c.verdict)).toEqual(['skip', 'skip', 'skip']);
    expect(r.checks.find((c) => c.id === 'correctness.hosts')?.evidence.notes?.[0]).toMatch(/GET \/v1\/endpoints: no answer/);
    // Nothing answered: the robustness probes failed for want of an answer, not a wrong one.
    expect(r.checks.filter((c) => c.group === 'robustness').map((c) => c.failure)).toEqual(r.checks.filter((c) => c.group === 'robustness').map(() => 'transport'));
  });
});
