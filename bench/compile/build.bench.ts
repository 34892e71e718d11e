/**
 * Index build time and size (src/compile) on the real Worldwide responses and on synthetic sets
 * 20 and 100 times larger. Build time is `createClassifier(snapshot)` wall time, median of
 * several builds, from an already-parsed Snapshot; ingest (parse and validate the raw array) is
 * timed apart. Size is the index's own `memoryBytes`, cross-checked by the heap growth around
 * one build (needs --expose-gc, which bench/run passes).
 *
 * Run: npm run bench, or after npm run build: node --expose-gc dist/bench/compile/build.bench.js
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createClassifier, snapshotFromSets } from '../../src/index.js';
import type { Snapshot } from '../../src/core/types.js';
import { readRealResponse } from '../../test/support/data.js';
import { generateScaledWorldwide } from '../support/generate-sets.js';

interface Dataset {
  readonly name: string;
  readonly load: () => unknown;
  readonly builds: number;
  readonly real: boolean;
}

const DATASETS: readonly Dataset[] = [
  { name: '2019-01', load: () => readRealResponse('worldwide-commit20190109.json'), builds: 25, real: true },
  { name: '2020-05', load: () => readRealResponse('worldwide-commit20200531.json'), builds: 25, real: true },
  { name: 'cloudips', load: () => readRealResponse('worldwide-noipv6-undated-cloudips-f6739cb.json'), builds: 25, real: true },
  { name: '20x', load: () => generateScaledWorldwide(20), builds: 9, real: false },
  { name: '100x', load: () => generateScaledWorldwide(100), builds: 3, real: false },
];
/** The real set the synthetic ones are scaled from. */
const BASE = '2020-05';

const MB = 1024 * 1024;

interface Row {
  readonly name: string;
  readonly sets: number;
  readonly prefixes: number;
  readonly urls: number;
  readonly ingestMs: number;
  readonly buildMs: number;
  readonly compileMs: number;
  readonly memoryBytes: number;
  readonly heapDelta: number | null;
  readonly real: boolean;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) return false;
  g();
  g();
  return true;
}

function heapNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Heap growth while one index is built and held, or null without --expose-gc. */
function heapDelta(snapshot: Snapshot): number | null {
  if (!gc()) return null;
  const before = heapNow();
  const held = createClassifier(snapshot);
  gc();
  const after = heapNow();
  // Read after the second gc(), so the index is reachable while the delta is taken.
  return held.version === snapshot.version ? after - before : null;
}

function measure(ds: Dataset): Row {
  const raw = ds.load();
  const ingest: number[] = [];
  let snapshot: Snapshot | null = null;
  for (let i = 0; i < Math.min(ds.builds, 5); i++) {
    const t0 = performance.now();
    snapshot = snapshotFromSets(raw);
    ingest.push(performance.now() - t0);
  }
  if (snapshot === null) throw new Error('no snapshot');
  const wall: number[] = [];
  const compile: number[] = [];
  let memoryBytes = 0;
  // One unmeasured build first: the first build of a process also pays for compiling the compiler.
  createClassifier(snapshot);
  for (let i = 0; i < ds.builds; i++) {
    const t0 = performance.now();
    const c = createClassifier(snapshot);
    wall.push(performance.now() - t0);
    compile.push(c.index.buildMs);
    memoryBytes = c.index.memoryBytes;
  }
  const sets = snapshot.sets;
  return {
    name: ds.name,
    sets: sets.length,
    prefixes: sets.reduce((n, s) => n + s.ips.length, 0),
    urls: sets.reduce((n, s) => n + s.urls.length, 0),
    ingestMs: median(ingest),
    buildMs: median(wall),
    compileMs: median(compile),
    memoryBytes,
    heapDelta: heapDelta(snapshot),
    real: ds.real,
  };
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function fmtMB(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / MB).toFixed(2)} MB`;
}

function main(): void {
  console.log(`# bench/compile/build: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, load average ${loadavg()[0]?.toFixed(1) ?? '?'}`);
  console.log('# build = createClassifier(snapshot) wall time, median; compile = index.buildMs, median; ingest = snapshotFromSets(raw array), median');
  if (!gc()) console.log('# no --expose-gc: heap delta not measured');
  const rows = DATASETS.map(measure);

  const head = ['set', 'sets', 'prefixes', 'urls', 'ingest ms', 'build ms', 'compile ms', 'memoryBytes', 'heap delta'];
  const widths = [9, 6, 9, 7, 10, 9, 11, 12, 11];
  const line = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 8) : c.padStart(widths[i] ?? 8))).join(' ');
  console.log(`\n${line(head)}`);
  for (const r of rows) {
    console.log(
      line([r.name, String(r.sets), String(r.prefixes), String(r.urls), fmtMs(r.ingestMs), fmtMs(r.buildMs), fmtMs(r.compileMs), fmtMB(r.memoryBytes), fmtMB(r.heapDelta)]),
    );
  }

  const by = (name: string): Row => {
    const r = rows.find((x) => x.name === name);
    if (!r) throw new Error(`no row ${name}`);
    return r;
  };
  const checks: Array<{ label: string; value: string; pass: boolean }> = [];
  const ratio = by('20x').buildMs / by(BASE).buildMs;
  checks.push({ label: `build time 20x / 1x (${BASE}) <= 25x`, value: `${ratio.toFixed(1)}x`, pass: ratio <= 25 });
  for (const r of rows.filter((x) => x.real)) {
    checks.push({ label: `[${r.name}] Worldwide index < 10 MB`, value: fmtMB(r.memoryBytes), pass: r.memoryBytes < 10 * MB });
    checks.push({ label: `[${r.name}] Worldwide build < 50 ms (DESIGN.md section 6)`, value: `${fmtMs(r.buildMs)} ms`, pass: r.buildMs < 50 });
  }
  const big = by('100x');
  checks.push({ label: '[100x] build < 2 s', value: `${fmtMs(big.buildMs)} ms`, pass: big.buildMs < 2000 });
  checks.push({ label: '[100x] ingest + build < 2 s (informative)', value: `${fmtMs(big.ingestMs + big.buildMs)} ms`, pass: big.ingestMs + big.buildMs < 2000 });
  // memoryBytes is an estimate; the danger is under-counting, so only that fails the cross-check.
  for (const r of rows) {
    if (r.heapDelta === null) continue;
    checks.push({
      label: `[${r.name}] memoryBytes not under heap delta / 1.5 (cross-check)`,
      value: `${fmtMB(r.memoryBytes)} vs ${fmtMB(r.heapDelta)}`,
      pass: r.memoryBytes * 1.5 >= r.heapDelta,
    });
  }
  const width = Math.max(...checks.map((c) => c.label.length));
  console.log('\n## targets');
  for (const c of checks) console.log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.label.padEnd(width)}  ${c.value}`);
}

main();
