/**
 * The pieces of analyze on their own: the bounded heavy-hitter table, CSV cells, the column map,
 * the progress line, and report.html's text (escaping, empty logs).
 */
import { describe, expect, it } from 'vitest';
import { parseColumnMap, resolveFields } from '../../../src/analyze/column-map.js';
import { detectDelimiter, splitCsvLine } from '../../../src/analyze/csv-line.js';
import { fmtBytes, fmtPct } from '../../../src/analyze/format-units.js';
import { ProgressBar } from '../../../src/analyze/progress.js';
import { parseBytes } from '../../../src/analyze/record-parser.js';
import { renderReport } from '../../../src/analyze/report-html.js';
import { analyzeLogs } from '../../../src/analyze/analyze-logs.js';
import { streamInput } from '../../../src/analyze/open-input.js';
import { detach, TopK } from '../../../src/analyze/top-k.js';
import { isM365Error, createClassifier } from '../../../src/index.js';
import { Readable } from 'node:stream';
import { FIXTURE_SETS } from '../../support/analyze-fixture.js';
import { Prng } from '../../../bench/support/prng.js';

describe('TopK (weighted Space-Saving)', () => {
  it('is exact while nothing is evicted', () => {
    const t = new TopK<string>(10);
    for (let i = 0; i < 5; i++) for (let k = 0; k <= i; k++) t.add(`k${i}`, 100, 1, `tag${i}`);
    expect(t.exact).toBe(true);
    expect(t.top(3)).toEqual([
      { key: 'k4', tag: 'tag4', flows: 5, bytes: 500, error: 0 },
      { key: 'k3', tag: 'tag3', flows: 4, bytes: 400, error: 0 },
      { key: 'k2', tag: 'tag2', flows: 3, bytes: 300, error: 0 },
    ]);
  });

  it('keeps every key heavier than total/capacity among a long tail of unique keys, within its error bound', () => {
    const prng = new Prng(7);
    const capacity = 50;
    const t = new TopK<null>(capacity);
    const truth = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < 200_000; i++) {
      // Five heavy keys take 30% of the stream between them; the rest are all different.
      const key = prng.chance(0.3) ? `heavy${prng.int(5)}` : `tail${i}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
      total++;
      t.add(key, 0, 1, null);
    }
    expect(t.exact).toBe(false);
    expect(t.length).toBe(capacity);
    const top = t.top(capacity);
    for (let h = 0; h < 5; h++) {
      const e = top.find((x) => x.key === `heavy${h}`);
      expect(e, `heavy${h}`).toBeDefined();
      const real = truth.get(`heavy${h}`)!;
      expect(real).toBeGreaterThan(total / capacity);
      // Counted since it last entered the table (a lower bound), missing at most its error.
      expect(e!.flows).toBeLessThanOrEqual(real);
      expect(e!.flows + e!.error).toBeGreaterThanOrEqual(real);
    }
    expect(top.slice(0, 5).map((e) => e.key).sort()).toEqual(['heavy0', 'heavy1', 'heavy2', 'heavy3', 'heavy4']);
  });

  it('detach copies a key out of the line it was cut from', () => {
    const line = `${'x'.repeat(100)},outlook.office.com,${'y'.repeat(100)}`;
    const key = detach(line.slice(101, 119));
    expect(key).toBe('outlook.office.com');
  });
});

describe('CSV cells and columns', () => {
  it('splits quoted cells, doubled quotes, empty cells; refuses broken quoting', () => {
    expect(splitCsvLine('a,b,,c', ',')).toEqual(['a', 'b', '', 'c']);
    expect(splitCsvLine('"a,1","b""q""",', ',')).toEqual(['a,1', 'b"q"', '']);
    expect(splitCsvLine('x;"y;z"', ';')).toEqual(['x', 'y;z']);
    expect(splitCsvLine('"open,1', ',')).toBeNull();
    expect(splitCsvLine('"a"b,1', ',')).toBeNull();
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('a;b')).toBe(';');
    expect(detectDelimiter('a,b;c')).toBe(',');
  });

  it('recognises common column names, lets --map win, and sums several byte columns', () => {
    const cols = (names: string[], map: string[] = []) => resolveFields(names.map((n, i) => [n, i] as const), parseColumnMap(map));
    const none = { src: null, sport: null, time: null, end: null, uid: null, status: null };
    expect(cols(['DestinationIP', 'dst_port', 'Proto', 'SNI', 'Bytes', 'Site', 'via'])).toEqual({ ip: 0, port: 1, protocol: 2, host: 3, bytes: [4], site: 5, path: 6, ...none });
    expect(cols(['dst', 'sent', 'rcvd', 'server_name'], ['sent=bytes', 'rcvd=bytes'])).toEqual({ ip: 0, port: null, protocol: null, host: 3, bytes: [1, 2], site: null, path: null, ...none });
    expect(cols(['src_ip', 'src_port', 'dst_ip'])).toMatchObject({ src: 0, sport: 1, ip: 2 });
    // An explicit map for a field silences the guess for it.
    expect(cols(['dst_ip', 'real_dst'], ['real_dst=ip']).ip).toBe(1);
    expect(cols(['DST_IP'], ['dst_ip=site'])).toMatchObject({ ip: null, site: 0 });
  });

  it('refuses a --map entry that names no field, with a coded error', () => {
    for (const bad of ['dst', '=ip', 'dst=address']) {
      try {
        parseColumnMap([bad]);
        expect.unreachable(bad);
      } catch (err) {
        expect(isM365Error(err) && err.code).toBe('M365FC_ERR_CONFIG_BAD_OPTION');
      }
    }
    expect([...parseColumnMap(['a=b=host'])]).toEqual([['a=b', 'host']]);
  });

  it('reads byte counts: integers, decimals, blanks; refuses the rest', () => {
    expect(parseBytes('1234')).toBe(1234);
    expect(parseBytes(' 12 ')).toBe(12);
    expect(parseBytes('1.5e3')).toBe(1500);
    expect(parseBytes('')).toBe(0);
    expect(parseBytes(42.4)).toBe(42);
    expect(parseBytes('-1')).toBe(-1);
    expect(parseBytes('12kB')).toBe(-1);
    expect(parseBytes(true)).toBe(-1);
  });
});

describe('progress line', () => {
  const base = { bytesRead: 0, bytesTotal: 1_000_000, lines: 0, records: 0, badLines: 0, file: 'f', done: false };

  it('shows percent, rate and ETA, redrawn at most every 100 ms and always at the end', () => {
    let t = 0;
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s), columns: 80 }, () => t);
    t = 2_000;
    bar.update({ ...base, bytesRead: 250_000, records: 50_000 });
    t = 2_050;
    bar.update({ ...base, bytesRead: 260_000, records: 52_000 });
    t = 4_000;
    bar.update({ ...base, bytesRead: 500_000, records: 100_000, done: true });
    bar.finish();
    expect(out).toHaveLength(3);
    expect(out[0]).toBe('\r\x1b[2Kanalyze [#####---------------]  25% 25.0k rec/s 250 kB/1.00 MB ETA 0:06');
    expect(out[1]).toContain(' 50% 25.0k rec/s 500 kB/1.00 MB ETA 0:04');
    expect(out[2]).toBe('\n');
  });

  it('shows bytes and rate without a bar when the size is unknown (a pipe)', () => {
    const bar = new ProgressBar({ write: () => undefined }, () => 1_000);
    expect(bar.line({ ...base, bytesTotal: null, bytesRead: 3_500_000, records: 1_234_567 }, 2_000)).toBe('analyze 3.50 MB read, 1,234,567 records, 1.23M rec/s');
  });

  it('formats bytes and shares as the report does', () => {
    expect([fmtBytes(0), fmtBytes(999), fmtBytes(1_000), fmtBytes(12_345_678), fmtBytes(1.5e12)]).toEqual(['0 B', '999 B', '1.00 kB', '12.3 MB', '1.50 TB']);
    expect(fmtPct(0.33301)).toBe('33.3%');
  });
});

describe('report.html text', () => {
  const classifier = createClassifier(FIXTURE_SETS, { version: '2026110100' });

  it('escapes every value that comes from a log', async () => {
    const evil = '<script>alert(1)</script>';
    const log = `site,ip,host,via\n${evil},40.96.1.1,,"<i>x</i>"\n"a&b",93.184.216.34,${'evil-host.example.com'},direct\n`;
    const s = await analyzeLogs([streamInput(`"${evil}".csv`, Readable.from([log]))], { classifier });
    const html = renderReport(s);
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<i>x</i>');
    expect(html).toContain('a&amp;b');
    expect(html).not.toMatch(/<script/i);
  });

  it('an empty log still makes a whole report that says there is nothing', async () => {
    const s = await analyzeLogs([streamInput('-', Readable.from([]))], { classifier });
    const html = renderReport(s);
    expect(html).toContain('No Microsoft 365 traffic in the logs.');
    expect(html).toContain('None: every line was read.');
    expect(html).toContain('<strong>0</strong> of 7 endpoint sets were seen');
    expect(html).toContain('<div class="tile-value">0</div>');
  });
});
