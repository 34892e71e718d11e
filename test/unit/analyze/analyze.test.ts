/**
 * analyze on a log with known contents: every count of summary.json checked, in CSV and JSON
 * lines, plain and gzip, one file or split over several and standard input, lines in any order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type LogFormat } from '../../../src/analyze/analyze-logs.js';
import { parseColumnMap } from '../../../src/analyze/column-map.js';
import { fileInput, streamInput, type LogInput } from '../../../src/analyze/open-input.js';
import type { Summary } from '../../../src/analyze/summary.js';
import { createClassifier } from '../../../src/index.js';
import { CSV_HEADER, EXPECTED, FIXTURE_SETS, fixtureLog, goodLines } from '../../support/analyze-fixture.js';

const classifier = createClassifier(FIXTURE_SETS, { version: '2026110100' });
const dir = mkdtempSync(join(tmpdir(), 'm365fc-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): LogInput {
  const path = join(dir, name);
  writeFileSync(path, content);
  return fileInput(path);
}

async function analyze(inputs: LogInput[], format: LogFormat = 'auto', map: string[] = []): Promise<Summary> {
  return analyzeLogs(inputs, { classifier, format, map: parseColumnMap(map), now: () => Date.parse('2026-11-02T10:00:00Z') });
}

/** Every count of the fixture, whatever the inputs looked like. */
function expectFixtureCounts(s: Summary): void {
  expect(s.records).toBe(EXPECTED.records);
  expect(s.badLines).toBe(EXPECTED.badLines);
  expect(s.byCategory).toEqual(EXPECTED.byCategory);
  expect(s.rankedBy).toBe('bytes');
  expect(s.byServiceArea.map((a) => [a.serviceArea, a.flows, a.bytes])).toEqual(EXPECTED.byServiceArea);
  const exchange = s.byServiceArea.find((a) => a.serviceArea === 'Exchange')!;
  expect(exchange.byCategory).toEqual({ Optimize: { flows: 11, bytes: 10_064 }, Allow: { flows: 0, bytes: 0 }, Default: { flows: 0, bytes: 0 } });
  const common = s.byServiceArea.find((a) => a.serviceArea === 'Common')!;
  expect(common.byCategory).toEqual({ Optimize: { flows: 0, bytes: 0 }, Allow: { flows: 5, bytes: 1_500 }, Default: { flows: 3, bytes: 300 } });
  expect(
    s.sites.map((x) => [
      x.site,
      x.flows,
      x.bytes,
      [x.byCategory.Optimize.flows, x.byCategory.Optimize.bytes],
      [x.byCategory.Allow.flows, x.byCategory.Allow.bytes],
      [x.byCategory.Default.flows, x.byCategory.Default.bytes],
      [x.byCategory.none.flows, x.byCategory.none.bytes],
    ]),
  ).toEqual(EXPECTED.sites);
  expect(s.sites[1]!.byServiceArea).toEqual([
    { serviceArea: 'Skype', flows: 4, bytes: 8_000 },
    { serviceArea: 'SharePoint', flows: 3, bytes: 2_100 },
    { serviceArea: 'Common', flows: 8, bytes: 1_800 },
  ]);
  expect(s.sitesTruncated).toBe(false);
  expect(s.localBreakout).toEqual({
    ...EXPECTED.localBreakout,
    shareOfFlows: 29 / 41,
    shareOfBytes: 24_664 / EXPECTED.totalBytes,
  });
  expect(s.optimizePath).toEqual({ known: true, ...EXPECTED.optimizePath, shareViaProxy: 18_000 / 23_164 });
  expect(s.topHosts).toEqual(EXPECTED.topHosts);
  expect(s.topHostsExact).toBe(true);
  expect(s.topPrefixes).toEqual(EXPECTED.topPrefixes);
  expect(s.topOther).toEqual(EXPECTED.topOther);
  expect(s.topOtherExact).toBe(true);
  expect(s.endpointSets.seen.map((x) => [x.id, x.flows, x.bytes])).toEqual(EXPECTED.setsSeen);
  expect(s.endpointSets.requiredNotSeen.map((x) => x.id)).toEqual(EXPECTED.requiredNotSeen);
  expect(s.endpointSets.requiredNotSeen[0]).toEqual({ id: 6, serviceArea: 'Exchange', category: 'Allow', urls: 1, ips: 1, examples: ['*.protection.outlook.com', '40.92.0.0/15'] });
  expect(s.endpointSets.notSeen).toBe(2);
  expect(s.data).toMatchObject({ version: '2026110100', sets: 7, precedence: 'specific-first' });
}

describe('analyze: a log with known contents', () => {
  it('CSV: every count, the bad lines with their line numbers and reasons', async () => {
    const { text, badAt } = fixtureLog('csv');
    const s = await analyze([file('flows.csv', text)]);
    expectFixtureCounts(s);
    expect(s.lines).toBe(1 + 41 + 7 + 1);
    expect(s.inputs).toEqual([
      {
        name: join(dir, 'flows.csv'),
        file: join(dir, 'flows.csv'),
        format: 'csv',
        gzip: false,
        lines: 50,
        records: 41,
        skipped: 0,
        badLines: 7,
        fields: { ip: true, host: true, port: true, protocol: true, bytes: true, site: true, path: true },
        error: null,
      },
    ]);
    expect(s.badLineSamples.map((b) => ({ line: b.line, reason: b.reason }))).toEqual(badAt);
    expect(s.badLineSamples[0]).toEqual({ file: join(dir, 'flows.csv'), line: badAt[0]!.line, reason: 'M365FC_ERR_FLOW_BAD_IP', text: 'hq,999.1.1.1,443,tcp,,5,proxy' });
    expect(s.badLineReasons).toEqual(
      [...badAt.map((b) => b.reason)].sort().map((reason) => ({ reason, count: 1 })),
    );
    expect(s.generatedAt).toBe('2026-11-02T10:00:00.000Z');
  });

  it('JSON lines: the same counts', async () => {
    const { text, badAt } = fixtureLog('jsonl');
    const s = await analyze([file('flows.jsonl', text)]);
    expectFixtureCounts(s);
    expect(s.inputs[0]!.format).toBe('jsonl');
    expect(s.badLineSamples.map((b) => ({ line: b.line, reason: b.reason }))).toEqual(badAt);
  });

  it('gzip, told by its magic bytes whatever the file is called', async () => {
    const s = await analyze([file('flows.log.1', gzipSync(fixtureLog('csv').text))]);
    expectFixtureCounts(s);
    expect(s.inputs[0]).toMatchObject({ gzip: true, format: 'csv', lines: 50 });
  });

  it('several files and standard input, gzip and plain, CSV and JSON lines, add up to one log', async () => {
    const csv = goodLines('csv');
    const json = goodLines('jsonl');
    const { badAt } = fixtureLog('csv');
    const bad = fixtureLog('csv').text.split('\n').filter((_, i) => badAt.some((b) => b.line === i + 1));
    const a = file('a.csv', `${CSV_HEADER}\n${csv.slice(0, 15).join('\n')}\n${bad.slice(0, 3).join('\n')}\n`);
    const b = file('b.jsonl.gz', gzipSync(`${json.slice(15, 30).join('\n')}\n`));
    const stdin = streamInput('-', Readable.from([Buffer.from(`${CSV_HEADER}\n${csv.slice(30).join('\n')}\n${bad.slice(3).join('\n')}\n`)]));
    const s = await analyze([a, b, stdin]);
    expectFixtureCounts(s);
    expect(s.inputs.map((i) => [i.name, i.format, i.gzip, i.records, i.badLines])).toEqual([
      [join(dir, 'a.csv'), 'csv', false, 15, 3],
      [join(dir, 'b.jsonl.gz'), 'jsonl', true, 15, 0],
      ['-', 'csv', false, 11, 4],
    ]);
  });

  it('gzip on standard input, arriving one byte at a time', async () => {
    const gz = gzipSync(fixtureLog('csv').text);
    const bytes = Array.from(gz, (b) => Buffer.from([b]));
    const s = await analyze([streamInput('-', Readable.from(bytes))]);
    expectFixtureCounts(s);
    expect(s.inputs[0]!.gzip).toBe(true);
  });

  it('the order of the lines changes nothing', async () => {
    const lines = goodLines('csv').reverse();
    const s = await analyze([file('reversed.csv', `${CSV_HEADER}\r\n${lines.join('\r\n')}\r\n`)]);
    expect(s.records).toBe(41);
    expect(s.byCategory).toEqual(EXPECTED.byCategory);
    expect(s.topHosts).toEqual(EXPECTED.topHosts);
    expect(s.topPrefixes).toEqual(EXPECTED.topPrefixes);
    expect(s.sites.map((x) => [x.site, x.flows, x.bytes])).toEqual(EXPECTED.sites.map((x) => [x[0], x[1], x[2]]));
  });

  it('--format csv reads a log whose first line would look like JSON to auto', async () => {
    const s = await analyze([file('forced.csv', `${CSV_HEADER}\n${goodLines('csv').join('\n')}\n`)], 'csv');
    expect(s.records).toBe(41);
    const j = await analyze([file('forced.jsonl', `${goodLines('jsonl').join('\n')}\n`)], 'jsonl');
    expect(j.records).toBe(41);
  });
});

describe('analyze: progress', () => {
  it('reports bytes read against the total of all inputs, ending exactly at it', async () => {
    const text = `${CSV_HEADER}\n${goodLines('csv').join('\n')}\n`.repeat(100);
    const a = file('p1.csv', text);
    const b = file('p2.csv.gz', gzipSync(text));
    const seen: Array<{ bytesRead: number; bytesTotal: number | null; lines: number; done: boolean }> = [];
    await analyzeLogs([a, b], { classifier, progressEvery: 500, onProgress: (p) => seen.push(p) });
    const total = a.size! + b.size!;
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((p) => p.bytesTotal === total && p.bytesRead <= total)).toBe(true);
    expect(seen.filter((p) => p.done)).toHaveLength(1);
    expect(seen[seen.length - 1]).toMatchObject({ done: true, bytesRead: total, lines: 2 * 100 * 42 });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesRead).toBeGreaterThanOrEqual(seen[i - 1]!.bytesRead);
  });
});

describe('analyze: reading what appliances write', () => {
  it('--map names columns it would not guess; several byte columns are summed', async () => {
    const header = 'Branch;Destination Address;Dest Port;Transport;TLS Server Name;Sent;Received;Egress';
    const lines = [
      'hq;40.96.1.1;443;TCP;outlook.office.com;600;400;Proxy',
      'hq;52.112.3.4;3479;17;;1500;500;VPN',
      'branch;93.184.216.34;443;6;www.example.com;10;20;direct',
    ];
    const s = await analyze([file('mapped.csv', `${header}\n${lines.join('\n')}\n`)], 'auto', ['TLS Server Name=host', 'Sent=bytes', 'Received=bytes']);
    expect(s.badLines).toBe(0);
    expect(s.byCategory).toEqual({
      Optimize: { flows: 2, bytes: 3_000 },
      Allow: { flows: 0, bytes: 0 },
      Default: { flows: 0, bytes: 0 },
      none: { flows: 1, bytes: 30 },
    });
    expect(s.topHosts.map((h) => h.host)).toEqual(['outlook.office.com']);
    expect(s.optimizePath.byPath).toEqual([
      { path: 'vpn', direct: false, flows: 1, bytes: 2_000 },
      { path: 'proxy', direct: false, flows: 1, bytes: 1_000 },
    ]);
    expect(s.sites.map((x) => x.site)).toEqual(['hq', 'branch']);
  });

  it('quoted CSV cells, blanks around values, a BOM, and a repeated header', async () => {
    const text = `\uFEFF${CSV_HEADER}\n"hq, the big one", 40.96.1.1 ,443,tcp,"outlook.office.com",1000,proxy\n${CSV_HEADER}\nhq,13.107.136.5,443,tcp,,500,"dir""ect"\n`;
    const s = await analyze([file('quoted.csv', text)]);
    expect(s.badLines).toBe(0);
    expect(s.records).toBe(2);
    expect(s.sites.map((x) => x.site)).toEqual(['hq, the big one', 'hq']);
    expect(s.optimizePath.byPath.map((p) => p.path)).toEqual(['proxy', 'dir"ect']);
  });

  it('nested JSON reached by a dotted --map', async () => {
    const line = JSON.stringify({ dst: { ip: '40.96.1.1', port: 443 }, tls: { sni: 'outlook.office.com' }, bytes: 5 });
    const s = await analyze([file('nested.jsonl', `${line}\n`)], 'auto', ['dst.ip=ip', 'dst.port=port', 'tls.sni=host']);
    expect(s.badLines).toBe(0);
    expect(s.topHosts[0]).toMatchObject({ host: 'outlook.office.com', flows: 1, bytes: 5 });
  });

  it('a log without bytes ranks by flows; without site or path it says so', async () => {
    const s = await analyze([file('bare.csv', 'ip\n40.96.1.1\n40.96.1.2\n93.184.216.34\n')]);
    expect(s.rankedBy).toBe('flows');
    expect(s.byCategory.Optimize).toEqual({ flows: 2, bytes: 0 });
    expect(s.localBreakout.shareOfFlows).toBeCloseTo(2 / 3);
    expect(s.optimizePath.known).toBe(false);
    expect(s.optimizePath.unknown).toEqual({ flows: 2, bytes: 0 });
    expect(s.sites).toHaveLength(1);
    expect(s.inputs[0]!.fields).toEqual({ ip: true, host: false, port: false, protocol: false, bytes: false, site: false, path: false });
  });

  it('a header without an address or host column stops that input with a message naming --map', async () => {
    const s = await analyze([file('nohost.csv', 'a,b,c\n1,2,3\n'), file('ok.csv', 'ip\n40.96.1.1\n')]);
    expect(s.inputs[0]!.error).toMatch(/no destination address or host column.*--map/);
    expect(s.inputs[1]!.error).toBeNull();
    expect(s.records).toBe(1);
  });

  it('a truncated gzip file: what was read is counted, and the input says it stopped early', async () => {
    const gz = gzipSync(`${CSV_HEADER}\n${goodLines('csv').join('\n')}\n`.repeat(200));
    const s = await analyze([file('cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2)))]);
    expect(s.inputs[0]!.error).toMatch(/unexpected end of file/i);
    expect(s.records).toBeGreaterThan(0);
    expect(s.records).toBeLessThan(41 * 200);
  });

  it('an empty input and an input of blank lines are not errors', async () => {
    const s = await analyze([file('empty.csv', ''), file('blank.csv', '\n\n  \n')]);
    expect(s.records).toBe(0);
    expect(s.badLines).toBe(0);
    expect(s.inputs.map((i) => [i.format, i.error])).toEqual([
      ['empty', null],
      ['empty', null],
    ]);
    expect(s.localBreakout).toEqual({ flows: 0, bytes: 0, shareOfFlows: 0, shareOfBytes: 0 });
  });

  it('at most the first 20 bad lines are sampled, every one is counted, long lines are cut', async () => {
    const bad = Array.from({ length: 50 }, (_, i) => `hq,300.0.0.${i},443,tcp,,1,proxy${'x'.repeat(i === 0 ? 300 : 0)}`);
    const s = await analyze([file('bad.csv', `${CSV_HEADER}\n${bad.join('\n')}\n`)]);
    expect(s.badLines).toBe(50);
    expect(s.badLineSamples).toHaveLength(20);
    expect(s.badLineSamples[0]!.text).toHaveLength(201);
    expect(s.badLineSamples[19]!.line).toBe(21);
    expect(s.badLineReasons).toEqual([{ reason: 'M365FC_ERR_FLOW_BAD_IP', count: 50 }]);
  });
});
