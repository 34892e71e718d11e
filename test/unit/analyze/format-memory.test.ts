/**
 * Memory stays flat on a large log of each flow-log format (the bench's generator,
 * bench/analyze/format-logs.ts, about 25 MB each): analyze runs in a child process of its own,
 * which forces a GC and samples its memory as it goes. The join window is made endless and the
 * table of open connections small (20,000), so that the table fills early and then must drop its
 * oldest connections all along (otherwise the generator's short connections would leave it
 * nearly empty). Bounds on growth from 20% of the bytes to the end, not on speed: the live heap
 * must not grow by more than 3 MB, the RSS by more than 16 MB (reading the file whole would add
 * 25 MB at least; a table that kept every connection grew the heap by 8 MB and the RSS by 19 MB on aws-vpc's
 * 121,000). Every connection is counted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_FORMATS, BYTES_PER_CONNECTION, RECORDS_PER_CONNECTION, writeFormatLog } from '../../../bench/analyze/format-logs.js';
import { loadBootstrapSnapshot } from '../../../src/index.js';
import { REPO_ROOT } from '../../support/data.js';

const SIZE = 25e6;
const CAPACITY = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'm365fc-format-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const [dist, file, capacity] = process.argv.slice(1);
const { analyzeLogs } = await import(dist + '/src/analyze/analyze-logs.js');
const { fileInput } = await import(dist + '/src/analyze/open-input.js');
const { createClassifier, loadBootstrapSnapshot } = await import(dist + '/src/index.js');
const classifier = createClassifier(loadBootstrapSnapshot());
const samples = [];
const s = await analyzeLogs([fileInput(file)], {
  classifier,
  joinWindow: 1e9,
  joinCapacity: Number(capacity),
  progressEvery: 1,
  onProgress: (p) => {
    // Every chunk (Azure) or line: sample at most every 1% of the bytes.
    const at = p.bytesRead / p.bytesTotal;
    if (p.done || at - (samples.at(-1)?.at ?? -1) < 0.01) return;
    globalThis.gc();
    const m = process.memoryUsage();
    samples.push({ at, rss: m.rss, heap: m.heapUsed });
  },
});
process.stdout.write(JSON.stringify({ samples, records: s.records, flows: s.flows, format: s.inputs[0].format, joined: s.join.joined, maxRss: process.resourceUsage().maxRSS * 1024 }));
`;

interface Sample {
  at: number;
  rss: number;
  heap: number;
}

describe('memory stays flat on a large log of each format', () => {
  const prefixes = loadBootstrapSnapshot().sets.flatMap((s) => s.ips);
  for (const format of BENCH_FORMATS) {
    it(format, async () => {
      const dist = join(REPO_ROOT, 'dist');
      if (!existsSync(join(dist, 'src/analyze/analyze-logs.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
      const log = join(dir, `${format}.log`);
      const conns = Math.round(SIZE / BYTES_PER_CONNECTION[format]);
      await writeFormatLog(log, format, prefixes, conns);
      const size = statSync(log).size;
      // More connections than the table holds: it is full and dropping its oldest all along.
      expect(conns).toBeGreaterThan(3 * CAPACITY);

      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, dist, log, String(CAPACITY)], { encoding: 'utf8', timeout: 200_000 });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { samples: Sample[]; records: number; flows: number; format: string; joined: number; maxRss: number };
      rmSync(log, { force: true });
      expect(out.format).toBe(format);
      expect(out.records).toBe(conns * RECORDS_PER_CONNECTION[format]);
      expect(out.flows).toBe(conns);
      expect(out.joined).toBe(conns * (RECORDS_PER_CONNECTION[format] - 1));
      expect(out.samples.length).toBeGreaterThan(20);

      const base = out.samples.find((s) => s.at >= 0.2)!;
      const last = out.samples[out.samples.length - 1]!;
      const mb = (b: number): number => Math.round(b / 1e5) / 10;
      const report = `heap ${mb(base.heap)} -> ${mb(last.heap)} MB, rss ${mb(base.rss)} -> ${mb(last.rss)} MB, max rss ${mb(out.maxRss)} MB, log ${mb(size)} MB`;
      console.log(`analyze memory, ${format}, ${conns.toLocaleString('en-US')} connections: ${report}`);
      expect(last.heap - base.heap, report).toBeLessThan(3e6);
      expect(last.rss - base.rss, report).toBeLessThan(16e6);
      expect(out.maxRss, report).toBeLessThan(250e6);
    }, 300_000);
  }
});
