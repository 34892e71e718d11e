import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCertification, writeReports, type CertificationData, type CertificationReport } from '../../plugin-api/index.js';
import { createClassifier, formatPorts, type Classifier } from '../../src/index.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../src/follow/options.js';
import { Follower } from '../../src/follow/follower.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { FakeUpstream } from '../support/fake-upstream.js';

/**
 * The certification suite against our own service, as `m365fc serve --upstream` runs it: it
 * follows a fake of Microsoft's web service (polling every second), needs a bearer token, and
 * must pass every check, freshness included.
 */

const TOKEN = 'certify-token-0123456789abcdef';

let fake: FakeUpstream;
let follower: Follower;
let server: RunningServer;
let dir: string;
let report: CertificationReport;

/** Our engine over the sets the target serves (port lists back to Microsoft's strings). */
function reference(d: CertificationData): Classifier {
  const sets = d.sets.map((s) => ({
    ...s,
    tcpPorts: Array.isArray(s.tcpPorts) && s.tcpPorts.length ? formatPorts(s.tcpPorts) : undefined,
    udpPorts: Array.isArray(s.udpPorts) && s.udpPorts.length ? formatPorts(s.udpPorts) : undefined,
  }));
  return createClassifier(sets, { version: d.version });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm365fc-certify-'));
  writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`);
  fake = await FakeUpstream.start();
  fake.serve('2020042800');
  const argv = expandBooleanFlags(['--port', '0', '--log-level', 'silent', '--token-file', join(dir, 'tokens'), '--upstream', fake.url, '--poll-interval', '1', '--state-dir', join(dir, 'state')], FOLLOW_OPTIONS);
  const config = resolveServeConfig(argv, {}, FOLLOW_OPTIONS);
  follower = await Follower.open({ data: null, precedence: config.precedence, follow: followConfig(config.extra, { tenant: null, data: null }) }, { startupTimeoutMs: 5000 });
  server = await startServer(config, { liveIndex: follower.liveIndex, defaultMetrics: false, underPressure: false });
  follower.start(server.app.log);
  report = await runCertification({
    target: server.url,
    token: TOKEN,
    reference,
    upstream: {
      url: fake.url,
      // The same sets under a newer version: the updater's shrink gate has no reason to refuse it.
      publish: () => fake.publish('2020042801', fake.setsOf('2020042800')),
      boundMs: 10_000,
      pollMs: 100,
    },
    performance: { durationMs: 300, concurrency: 4 },
  });
});

afterAll(async () => {
  await server?.close();
  await follower?.stop();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('certification of our own service', () => {
  it('passes every check it runs; none is skipped but the ones that cannot apply', () => {
    const failed = report.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.summary} ${JSON.stringify(c.evidence).slice(0, 600)}`);
    expect(failed).toEqual([]);
    expect(report.summary.ok).toBe(true);
    expect(report.checks.filter((c) => c.verdict === 'skip').map((c) => c.id)).toEqual([]);
  });

  it('built its vectors from the data the target serves and sent thousands of them', () => {
    expect(report.data).toMatchObject({ source: 'target', version: '2020042800' });
    const vectors = report.checks.filter((c) => c.group === 'correctness').reduce((n, c) => n + (c.evidence.counts?.['vectors'] ?? 0), 0);
    expect(vectors).toBeGreaterThan(3000);
  });

  it('saw the target follow the upstream to its new version within the bound', () => {
    const follows = report.checks.find((c) => c.id === 'freshness.follows');
    expect(follows?.verdict).toBe('pass');
    expect(follows?.evidence.counts?.['followMs']).toBeLessThan(10_000);
  });

  it('measured throughput and latency for GET, POST batches and the WebSocket', () => {
    const perf = report.checks.filter((c) => c.group === 'performance');
    expect(perf.map((c) => c.id)).toEqual(['performance.classify-get', 'performance.classify-batch', 'performance.stream']);
    for (const c of perf) {
      expect(c.required).toBe(false);
      expect(c.evidence.measurement?.requests).toBeGreaterThan(0);
      expect(c.evidence.measurement?.latency.p99Ms).toBeGreaterThan(0);
    }
  });

  it('writes report.json, junit.xml and report.html', async () => {
    const files = await writeReports(join(dir, 'report'), report);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as CertificationReport;
    expect(json.summary).toEqual(report.summary);
    expect(json.framing).toMatch(/not a Microsoft certification/);
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit).toMatch(/^<\?xml/);
    expect(junit.match(/<testcase /g)?.length).toBe(report.checks.length);
    expect(junit).not.toMatch(/<failure/);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('Self-assessment, not Microsoft certification.');
    expect(html.match(/<svg /g)?.length).toBe(3);
  });

  it('tags checks about running the service "operations", and only the others with a Microsoft principle, in every report', async () => {
    const microsoft = ['identify-and-differentiate', 'egress-locally', 'avoid-hairpins', 'bypass-proxies-and-tls-inspection'];
    for (const c of report.checks) {
      if (c.group === 'correctness' || c.group === 'freshness') expect(microsoft).toContain(c.principle);
      else expect([c.id, c.principle]).toEqual([c.id, 'operations']);
    }
    expect(report.principles.map((p) => [p.tag, p.source, p.checks])).toEqual([
      ['identify-and-differentiate', 'microsoft', 4],
      ['egress-locally', 'microsoft', 5],
      // Whether traffic hairpins is a matter of the network path: no check claims it.
      ['avoid-hairpins', 'microsoft', 0],
      ['bypass-proxies-and-tls-inspection', 'microsoft', 4],
      ['operations', 'm365fc', report.checks.filter((c) => ['contract', 'robustness', 'performance'].includes(c.group)).length],
    ]);
    const files = await writeReports(join(dir, 'report-principles'), report);
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit).toMatch(/name="robustness.oversize: [^"]*"[^>]*>\s*<properties><property name="principle" value="operations"\/><property name="principle-title" value="Operating the service"\/><property name="principle-source" value="m365fc"\/>/);
    expect(junit).toMatch(/name="correctness.hosts: [^"]*"[^>]*>\s*<properties><property name="principle" value="identify-and-differentiate"\/>[^\n]*value="microsoft"/);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<th>principle</th>');
    expect(html).toMatch(/#robustness.oversize">robustness.oversize<\/a><\/td><td class="pass">pass<\/td><td>yes<\/td><td title="operations">Operating the service <small>\(kit's own tag\)<\/small><\/td>/);
    expect(html).toMatch(/#correctness.wildcard-apex">[^\n]*<td title="bypass-proxies-and-tls-inspection">Bypass proxies and TLS inspection for Optimize traffic<\/td>/);
  });
});
