import { describe, expect, it } from 'vitest';
import { run as runDiff } from '../../../src/cli/commands/diff.js';
import { bootstrapPath } from '../../../src/ingest/bootstrap.js';
import { diffSnapshots, formatDiff, measureCoverage, patternCovers, type SnapshotDiff } from '../../../src/ingest/diff.js';
import { parseEndpointsResponse, snapshotFromSets } from '../../../src/ingest/parse-endpoints.js';
import type { ChangeRecord } from '../../../src/core/types.js';
import type { Snapshot } from '../../../src/core/types.js';
import { captureCli, type CliOutput } from '../../support/cli-output.js';
import { readRealResponse, readRealResponseText, realResponsePath, type RealResponse } from '../../support/data.js';

function real(name: RealResponse, version: string): Snapshot {
  return parseEndpointsResponse(readRealResponseText(name), { version, origin: name });
}

const v2019a = real('worldwide-commit20190109.json', '2019010700');
const v2019b = real('worldwide-commit20191124.json', '2019102800');
const v2020 = real('worldwide-commit20200531.json', '2020042800');
const v2025 = real('worldwide-noipv6-undated-cloudips-f6739cb.json', '2025063000');

function set(id: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, serviceArea: 'Exchange', serviceAreaDisplayName: 'Exchange Online', expressRoute: false, category: 'Allow', required: true, ...over };
}

describe('diffSnapshots on the real responses', () => {
  it('finds nothing between a snapshot and itself', () => {
    const d = diffSnapshots(v2020, v2020);
    expect(d.totals).toEqual({ setsAdded: 0, setsRemoved: 0, setsChanged: 0, ipsAdded: 0, ipsRemoved: 0, urlsAdded: 0, urlsRemoved: 0 });
    expect(d.coverage.ipv4.lostShare).toBe(0);
    expect(d.coverage.ipv6.lostShare).toBe(0);
    expect(d.coverage.hosts.lost).toBe(0);
  });

  it('2019-01 → 2019-11: sets 145-147 added, 4, 7, 25 removed, 26 changed (PROVENANCE.md)', () => {
    const d = diffSnapshots(v2019a, v2019b);
    expect(d.setsAdded.map((s) => s.id)).toEqual([145, 146, 147]);
    expect(d.setsRemoved.map((s) => s.id)).toEqual([4, 7, 25]);
    expect(d.setsChanged).toHaveLength(26);
  });

  it('2019-11 → 2020-05: sets 148-150 added, none removed, 19 changed', () => {
    const d = diffSnapshots(v2019b, v2020);
    expect(d.setsAdded.map((s) => s.id)).toEqual([148, 149, 150]);
    expect(d.setsRemoved).toEqual([]);
    expect(d.setsChanged).toHaveLength(19);
    expect(d.from.version).toBe('2019102800');
    expect(d.to.version).toBe('2020042800');
  });

  it('2020-05 → 2025: eight sets added, 60 removed, 41 changed', () => {
    const d = diffSnapshots(v2020, v2025);
    expect(d.setsAdded.map((s) => s.id)).toEqual([152, 153, 156, 158, 159, 160, 184, 193]);
    expect(d.setsRemoved).toHaveLength(60);
    expect(d.setsChanged).toHaveLength(41);
  });

  it('counts covered addresses, not prefixes: 2019-11 → 2020-05 halves the prefixes but loses < 0.1% of IPv4 space', () => {
    const c = measureCoverage(v2019b, v2020);
    expect(c.ipv4.prefixes).toEqual({ before: 78, after: 50 });
    expect(c.ipv6.prefixes).toEqual({ before: 210, after: 105 });
    const allBefore = c.ipv4.prefixes.before + c.ipv6.prefixes.before;
    const allAfter = c.ipv4.prefixes.after + c.ipv6.prefixes.after;
    expect(allAfter / allBefore).toBeLessThan(0.55);
    expect(c.ipv4.addresses).toEqual({ before: '2386926', after: '2647389', lost: '1685' });
    expect(c.ipv4.lostShare).toBeGreaterThan(0.0005);
    expect(c.ipv4.lostShare).toBeLessThan(0.001);
    expect(c.ipv6.lostShare).toBeLessThan(0.001);
    expect(c.hosts.lost).toBe(1);
  });

  it('sees the 2025 data lose all IPv6, unless IPv6 was not asked for', () => {
    expect(measureCoverage(v2020, v2025).ipv6.lostShare).toBe(1);
    expect(measureCoverage(v2020, v2025, { noIPv6: true }).ipv6.lostShare).toBe(0);
  });

  it('counts a host pattern as kept when a wildcard of the new version covers it', () => {
    const c = measureCoverage(v2020, v2025);
    const removed = new Set(v2020.sets.flatMap((s) => s.urls));
    for (const u of v2025.sets.flatMap((s) => s.urls)) removed.delete(u);
    expect(removed.size).toBe(230);
    expect(c.hosts.lost).toBe(90);
    expect(c.hosts.lostShare).toBeLessThan(0.5);
  });

  it('measures only the service areas asked for', () => {
    const c = measureCoverage(v2020, v2025, { serviceAreas: ['Exchange'] });
    const exchange = new Set(v2020.sets.filter((s) => s.serviceArea === 'Exchange').flatMap((s) => s.urls));
    expect(c.hosts.patterns.before).toBe(exchange.size);
  });
});

describe('diffSnapshots field by field', () => {
  const a = snapshotFromSets([
    set(1, { urls: ['a.example.com', '*.b.example.com'], ips: ['10.0.0.0/24', '10.0.1.0/24'], tcpPorts: '80,443' }),
    set(2, { urls: ['gone.example.com'] }),
    set(3, { urls: ['same.example.com'], tcpPorts: '443' }),
  ], { version: '2024010100', origin: 'a' });
  const b = snapshotFromSets([
    set(1, { urls: ['a.example.com', 'c.example.com'], ips: ['10.0.0.0/23'], tcpPorts: '443', category: 'Optimize', udpPorts: '3478-3481' }),
    set(3, { urls: ['same.example.com'], tcpPorts: '443' }),
    set(4, { urls: ['new.example.com'], ips: ['2001:db8::/32'], tcpPorts: '443' }),
  ], { version: '2024020100', origin: 'b' });

  it('lists sets, prefixes, hosts, ports and categories', () => {
    const d = diffSnapshots(a, b);
    expect(d.setsAdded.map((s) => s.id)).toEqual([4]);
    expect(d.setsAdded[0]?.tcpPorts).toBe('443');
    expect(d.setsRemoved.map((s) => s.id)).toEqual([2]);
    expect(d.setsChanged).toHaveLength(1);
    const c = d.setsChanged[0];
    expect(c).toMatchObject({
      id: 1,
      category: { from: 'Allow', to: 'Optimize' },
      tcpPorts: { from: '80,443', to: '443' },
      udpPorts: { from: '', to: '3478-3481' },
      ipsAdded: ['10.0.0.0/23'],
      ipsRemoved: ['10.0.0.0/24', '10.0.1.0/24'],
      urlsAdded: ['c.example.com'],
      urlsRemoved: ['*.b.example.com'],
    });
    expect(c?.required).toBeUndefined();
    expect(d.totals).toMatchObject({ setsAdded: 1, setsRemoved: 1, setsChanged: 1, ipsAdded: 2, ipsRemoved: 2, urlsAdded: 2, urlsRemoved: 2 });
  });

  it('a merged prefix loses no address space', () => {
    const d = diffSnapshots(a, b);
    expect(d.coverage.ipv4.addresses).toEqual({ before: '512', after: '512', lost: '0' });
    expect(d.coverage.ipv4.prefixes).toEqual({ before: 2, after: 1 });
    // *.b.example.com and gone.example.com have nothing covering them in b.
    expect(d.coverage.hosts).toMatchObject({ patterns: { before: 4, after: 4 }, lost: 2, lostShare: 0.5 });
  });

  it('is enriched with /changes records between the two versions', () => {
    const records: ChangeRecord[] = [
      { id: 10, endpointSetId: 1, disposition: 'Change', impact: 'AddedUrl', version: '2024020100', add: { effectiveDate: '2024-02-01T00:00:00', urls: ['c.example.com'] } },
      { id: 11, endpointSetId: 4, disposition: 'Add', impact: 'AddedIp', version: '2024020100', add: { effectiveDate: '2024-02-01T00:00:00', ips: ['2001:db8::/32'] } },
      { id: 12, endpointSetId: 2, disposition: 'Remove', impact: 'RemovedDuplicateIpOrUrl', version: '2024020100', remove: { urls: ['gone.example.com'] } },
      { id: 13, endpointSetId: 99, disposition: 'Change', impact: 'OtherNonPriorityChanges', version: '2024020100' },
      { id: 9, endpointSetId: 1, disposition: 'Change', impact: 'AddedUrl', version: '2024010100' },
    ];
    const d = diffSnapshots(a, b, records);
    expect(d.setsChanged[0]?.upstream).toEqual([
      { changeId: 10, disposition: 'Change', impact: 'AddedUrl', version: '2024020100', effectiveDate: '2024-02-01T00:00:00', added: { ips: [], urls: ['c.example.com'] } },
    ]);
    expect(d.setsAdded[0]?.upstream[0]).toMatchObject({ changeId: 11, impact: 'AddedIp', effectiveDate: '2024-02-01T00:00:00' });
    expect(d.setsRemoved[0]?.upstream[0]).toMatchObject({ changeId: 12, effectiveDate: null, removed: { urls: ['gone.example.com'] } });
    expect(d.upstreamOther.map((n) => n.changeId)).toEqual([13]);
  });

  it('is plain JSON', () => {
    const d = diffSnapshots(v2019b, v2020);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('prints for people', () => {
    const text = formatDiff(diffSnapshots(a, b));
    expect(text).toContain('+ set 4 Exchange Allow required tcp:443 udp:-');
    expect(text).toContain('- set 2 Exchange Allow');
    expect(text).toContain('~ set 1 Exchange');
    expect(text).toContain('    category: Allow -> Optimize');
    expect(text).toContain('    - url *.b.example.com');
    expect(text).toContain('    + ip  10.0.0.0/23');
    expect(text).toContain('IPv4: 2 -> 1 prefixes, 512 -> 512 addresses, lost 0 (0.0%)');
  });
});

describe('patternCovers', () => {
  it.each([
    ['*.office.com', 'outlook.office.com', true],
    ['*.office.com', 'a.b.office.com', true],
    ['*.office.com', 'office.com', false],
    ['*.office.com', '*.outlook.office.com', true],
    ['*.outlook.office.com', '*.office.com', false],
    ['*cdn.onenote.net', 'cdn.onenote.net', true],
    ['autodiscover.*.onmicrosoft.com', 'autodiscover.contoso.onmicrosoft.com', true],
    ['outlook.office.com', '*.office.com', false],
    ['*', 'anything.example', true],
    ['*.x.com', '*-x.com', false],
  ])('%s covers %s: %s', (q, p, want) => {
    expect(patternCovers(q, p)).toBe(want);
  });
});

describe('readRealResponse', () => {
  it('gives the same sets as the parsed text', () => {
    expect(snapshotFromSets(readRealResponse('worldwide-commit20200531.json')).sets).toEqual(v2020.sets);
  });
});

describe('m365fc diff', () => {
  const cli = (args: string[]): Promise<CliOutput> => captureCli(() => runDiff(args));

  it('prints the diff of two responses and exits 1 when they differ', async () => {
    const r = await cli([realResponsePath('worldwide-commit20191124.json'), realResponsePath('worldwide-commit20200531.json'), '--old-version', '2019102800']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Worldwide 2019102800 (worldwide-commit20191124.json) -> Worldwide 0000000000 (worldwide-commit20200531.json)');
    expect(r.out).toContain('+ set 148 ');
    expect(r.out).toMatch(/IPv4: 78 -> 50 prefixes, 2386926 -> 2647389 addresses, lost 1685 \(0\.07\d%\)/);
  });

  it('--json gives the diff object; a snapshot and a response compare; 0 when equal', async () => {
    const r = await cli([realResponsePath('worldwide-commit20200531.json'), bootstrapPath(), '--json']);
    const d = JSON.parse(r.out) as SnapshotDiff;
    expect(d.setsAdded.map((s) => s.id)).toEqual([152, 153, 156, 158, 159, 160, 184, 193]);
    const same = await cli([realResponsePath('worldwide-commit20200531.json'), realResponsePath('worldwide-commit20200531.json')]);
    expect(same.code).toBe(0);
  });

  it('exits 2 on bad usage or unreadable data', async () => {
    expect((await cli([realResponsePath('worldwide-commit20200531.json')])).code).toBe(2);
    const bad = await cli([realResponsePath('worldwide-commit20200531.json'), '/nonexistent.json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('M365FC_ERR_INGEST_UNREADABLE');
  });
});
