/**
 * Memory stays flat: analyze reads a 1,000,000-line log (about 100 MB, half of its other
 * destinations never seen twice, so the bounded tables evict all along) in a child process of its
 * own, which forces a GC and samples its memory every 25,000 lines. Bounds on growth from 20% of
 * the way to the end, not on speed: the live heap must not grow by more than 8 MB, the RSS by more
 * than 48 MB (reading the file whole would add about 100 MB at least).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadBootstrapSnapshot } from '../../../src/index.js';
import { REPO_ROOT } from '../../support/data.js';
import { writeFlowLog } from '../../support/analyze-log-gen.js';

const LINES = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'm365fc-analyze-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const dist = process.argv[1];
const { analyzeLogs } = await import(dist + '/src/analyze/analyze-logs.js');
const { fileInput } = await import(dist + '/src/analyze/open-input.js');
const { createClassifier, loadBootstrapSnapshot } = await import(dist + '/src/index.js');
const classifier = createClassifier(loadBootstrapSnapshot());
const samples = [];
const s = await analyzeLogs([fileInput(process.argv[2])], {
  classifier,
  progressEvery: 25000,
  onProgress: (p) => {
    if (p.done) return;
    globalThis.gc();
    const m = process.memoryUsage();
    samples.push({ lines: p.lines, rss: m.rss, heap: m.heapUsed });
  },
});
process.stdout.write(JSON.stringify({ samples, records: s.records, otherExact: s.topOtherExact, maxRss: process.resourceUsage().maxRSS * 1024 }));
`;

interface Sample {
  lines: number;
  rss: number;
  heap: number;
}

it('analyze keeps the heap and RSS flat over a 1,000,000-line log', async () => {
  const dist = join(REPO_ROOT, 'dist');
  if (!existsSync(join(dist, 'src/analyze/analyze-logs.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
  const log = join(dir, 'flows.csv');
  await writeFlowLog(log, loadBootstrapSnapshot().sets, { lines: LINES, uniqueShare: 0.5 });
  const size = statSync(log).size;
  expect(size).toBeGreaterThan(90e6);

  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, dist, log], { encoding: 'utf8', timeout: 200_000 });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as { samples: Sample[]; records: number; otherExact: boolean; maxRss: number };
  expect(out.records).toBe(LINES);
  // The bounded table of other destinations was full and evicting all along.
  expect(out.otherExact).toBe(false);

  const base = out.samples.find((s) => s.lines >= LINES * 0.2)!;
  const last = out.samples[out.samples.length - 1]!;
  const mb = (b: number): number => Math.round(b / 1e5) / 10;
  const report = `heap ${mb(base.heap)} -> ${mb(last.heap)} MB, rss ${mb(base.rss)} -> ${mb(last.rss)} MB, max rss ${mb(out.maxRss)} MB, log ${mb(size)} MB`;
  console.log(`analyze memory over ${LINES.toLocaleString('en-US')} lines: ${report}`);
  expect(last.heap - base.heap, report).toBeLessThan(8e6);
  expect(last.rss - base.rss, report).toBeLessThan(48e6);
  expect(out.maxRss, report).toBeLessThan(250e6);
}, 300_000);
