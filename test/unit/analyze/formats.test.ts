/**
 * Each flow-log format as it comes, from fixtures written by hand from each format's published
 * description (test/fixtures/flow-logs/<format>/), detected without options. The destinations
 * are from Microsoft's real data (2020-05 Worldwide), so the right answer is known:
 *
 *   c1 10.1.0.10   → 13.107.136.9:443 tcp   1,000 out   9,000 back  SharePoint set 31, Optimize, ExpressRoute
 *   c2 10.1.0.11   → 52.112.4.5:3479 udp   20,000      30,000      Teams set 11, Optimize, ExpressRoute
 *   c3 10.1.0.12   → 20.190.130.7:443 tcp   2,000       3,000      set 56, Allow, ExpressRoute
 *   c4 10.1.0.13   → 93.184.216.34:443 tcp    500       4,500      not Microsoft 365
 *   c5 192.168.7.20 → 40.97.1.2:443 tcp     3,000      12,000      Exchange set 1, Optimize, ExpressRoute
 *   c6 10.1.0.15   → 10.2.0.5:445 tcp         700         300      internal to internal
 *
 * So: 6 connections, 86,000 bytes; Optimize 3 / 75,000, Allow 1 / 5,000, none 2 / 6,000; local
 * breakout 80,000 / 86,000 = 93.0% of bytes; ExpressRoute 4 / 80,000; one internal destination.
 * Counted per record without joining, the replies (from Microsoft to the client) would be 6 more
 * "not Microsoft 365" flows with 56,400 bytes and local breakout 45%.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../../src/analyze/analyze-logs.js';
import { fileInput } from '../../../src/analyze/open-input.js';
import type { Summary } from '../../../src/analyze/summary.js';
import { createClassifier } from '../../../src/index.js';
import { readRealResponse, REPO_ROOT } from '../../support/data.js';

const classifier = createClassifier(readRealResponse('worldwide-commit20200531.json'), { version: '2020042800' });
const FIX = join(REPO_ROOT, 'test/fixtures/flow-logs');

async function analyze(files: string[], options: { joinWindow?: number; internal?: string[] } = {}): Promise<Summary> {
  return analyzeLogs(
    files.map((f) => fileInput(join(FIX, f))),
    { classifier, now: () => 0, ...options },
  );
}

const SIX = {
  byCategory: { Optimize: { flows: 3, bytes: 75_000 }, Allow: { flows: 1, bytes: 5_000 }, Default: { flows: 0, bytes: 0 }, none: { flows: 2, bytes: 6_000 } },
  expressRoute: { flows: 4, bytes: 80_000 },
};

function expectSix(s: Summary): void {
  expect(s.flows).toBe(6);
  expect(s.byCategory).toEqual(SIX.byCategory);
  expect(s.localBreakout).toMatchObject({ flows: 4, bytes: 80_000 });
  expect(s.localBreakout.shareOfBytes).toBeCloseTo(80_000 / 86_000, 10);
  expect(s.expressRoute).toMatchObject(SIX.expressRoute);
  expect(s.expressRoute.byCategory).toEqual({ Optimize: { flows: 3, bytes: 75_000 }, Allow: { flows: 1, bytes: 5_000 }, Default: { flows: 0, bytes: 0 } });
  expect(s.expressRoute.bySite).toEqual([{ site: '', flows: 4, bytes: 80_000, shareOfFlows: 4 / 6, shareOfBytes: 80_000 / 86_000 }]);
  expect(s.internalDestinations).toEqual({ flows: 1, bytes: 1_000, examples: ['10.2.0.5'] });
  expect(s.topPrefixes.map((p) => [p.prefix, p.endpointSetId, p.flows, p.bytes])).toEqual([
    ['52.112.0.0/14', 11, 1, 50_000],
    ['40.96.0.0/13', 1, 1, 15_000],
    ['13.107.136.0/22', 31, 1, 10_000],
    ['20.190.128.0/18', 56, 1, 5_000],
  ]);
  expect(s.topOther.map((o) => [o.destination, o.flows, o.bytes])).toEqual([
    ['93.184.216.34', 1, 5_000],
    ['10.2.0.5', 1, 1_000],
  ]);
}

describe('flow-log formats, detected without options', () => {
  it('aws-vpc default v2 (no header): replies joined to requests, a connection over two capture windows, NODATA and SKIPDATA rows skipped', async () => {
    const s = await analyze(['aws-vpc/default-v2.log']);
    expect(s.inputs[0]).toMatchObject({ format: 'aws-vpc', records: 14, skipped: 2, badLines: 0, lines: 16 });
    expect(s.records).toBe(14);
    expect(s.join.joined).toBe(8);
    expectSix(s);
  });

  it('aws-vpc with a custom-format header line (other fields, other order)', async () => {
    const s = await analyze(['aws-vpc/custom-header.log']);
    expect(s.inputs[0]).toMatchObject({ format: 'aws-vpc', records: 12, skipped: 1, badLines: 0 });
    expectSix(s);
  });

  it('a join window of 0 s keeps the two capture windows of c5 apart, and nothing else', async () => {
    const s = await analyze(['aws-vpc/default-v2.log'], { joinWindow: 0 });
    expect(s.flows).toBe(7);
    expect(s.byCategory.Optimize).toEqual({ flows: 4, bytes: 75_000 });
  });

  it('nfdump -o csv: both directions joined, the Summary trailer is no bad line', async () => {
    const s = await analyze(['nfdump/flows.csv']);
    expect(s.inputs[0]).toMatchObject({ format: 'nfdump', records: 12, skipped: 3, badLines: 0 });
    expectSix(s);
  });

  it('panos-traffic, web UI export with a header (the Domain column is no host)', async () => {
    const s = await analyze(['panos-traffic/traffic-export.csv']);
    expect(s.inputs[0]).toMatchObject({ format: 'panos-traffic', records: 6, skipped: 0, badLines: 0 });
    expectSix(s);
  });

  it('panos-traffic, syslog CSV without a header: a THREAT line among them is skipped', async () => {
    const s = await analyze(['panos-traffic/traffic-syslog.log']);
    expect(s.inputs[0]).toMatchObject({ format: 'panos-traffic', records: 6, skipped: 1, badLines: 0 });
    expectSix(s);
  });

  it('azure-nsg v2 (one compact document): one flow per connection, bytes of C and E summed, a bad tuple counted', async () => {
    const s = await analyze(['azure-nsg/nsg-v2.json']);
    expect(s.inputs[0]).toMatchObject({ format: 'azure-nsg', records: 18, badLines: 1 });
    expect(s.badLineReasons).toEqual([{ reason: 'M365FC_ERR_ANALYZE_BAD_TUPLE', count: 1 }]);
    expect(s.badLineSamples[0]).toMatchObject({ line: 2, text: 'bad tuple' });
    expectSix(s);
  });

  it('azure-nsg VNet flow log v4 (pretty-printed): millisecond times, protocol numbers', async () => {
    const s = await analyze(['azure-nsg/vnet-v4.json']);
    expect(s.inputs[0]).toMatchObject({ format: 'azure-nsg', records: 18, badLines: 0 });
    expectSix(s);
  });

  const ZEEK = {
    Optimize: { flows: 4, bytes: 75_000 },
    Allow: { flows: 1, bytes: 5_000 },
  };

  for (const ext of ['log', 'json']) {
    it(`zeek-conn (${ext === 'log' ? 'TSV' : 'JSON'}): one record per connection, unset (-) byte counts are unknown, not bad`, async () => {
      const s = await analyze([`zeek-conn/conn.${ext}`]);
      expect(s.inputs[0]).toMatchObject({ format: 'zeek-conn', records: 8, badLines: 0 });
      expect(s.byCategory).toEqual({ ...ZEEK, Default: { flows: 0, bytes: 0 }, none: { flows: 3, bytes: 8_000 } });
      expect(s.expressRoute).toMatchObject({ flows: 5, bytes: 80_000 });
    });

    it(`zeek-ssl with zeek-conn (${ext === 'log' ? 'TSV' : 'JSON'}), in either order: joined on uid, flows get their server names`, async () => {
      for (const files of [[`zeek-conn/conn.${ext}`, `zeek-ssl/ssl.${ext}`], [`zeek-ssl/ssl.${ext}`, `zeek-conn/conn.${ext}`]]) {
        const s = await analyze(files);
        expect(s.inputs.map((i) => [i.format, i.records])).toEqual(files[0]!.startsWith('zeek-conn') ? [['zeek-conn', 8], ['zeek-ssl', 5]] : [['zeek-ssl', 5], ['zeek-conn', 8]]);
        expect(s.flows).toBe(8);
        // c7 is Default only by its name (officecdn.microsoft.com, set 92).
        expect(s.byCategory).toEqual({ ...ZEEK, Default: { flows: 1, bytes: 2_000 }, none: { flows: 2, bytes: 6_000 } });
        expect(s.topHosts.map((h) => [h.host, h.endpointSetId, h.flows, h.bytes])).toEqual([
          ['outlook.office365.com', 1, 1, 15_000],
          ['contoso.sharepoint.com', 31, 1, 10_000],
          ['login.microsoftonline.com', 56, 1, 5_000],
          ['officecdn.microsoft.com', 92, 1, 2_000],
        ]);
        // c4's ssl.log record has no server name (unset): it stays an address.
        expect(s.join).toMatchObject({ sniMatched: 4, sniUnmatched: 0 });
      }
    });
  }

  it('zeek-ssl alone: the flows are its records, with names and without bytes', async () => {
    const s = await analyze(['zeek-ssl/ssl.log']);
    expect(s.inputs[0]).toMatchObject({ format: 'zeek-ssl', records: 5, badLines: 0 });
    expect(s.rankedBy).toBe('flows');
    expect(s.byCategory).toEqual({ Optimize: { flows: 2, bytes: 0 }, Allow: { flows: 1, bytes: 0 }, Default: { flows: 1, bytes: 0 }, none: { flows: 1, bytes: 0 } });
  });

  it('--internal: naming 10.2.0.0/16 as not internal makes c6 a destination that is no warning', async () => {
    const s = await analyze(['nfdump/flows.csv'], { internal: ['10.1.0.0/16', '192.168.0.0/16'] });
    expect(s.internalDestinations.flows).toBe(0);
    expect(s.flows).toBe(6);
  });
});
