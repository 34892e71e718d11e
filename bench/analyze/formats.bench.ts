/**
 * `m365fc analyze` per flow-log format: records/s against a baseline measured in the same run on
 * the same file, a loop that only reads the lines (with analyze's own line reader, bench/analyze/read-split.ts)
 * and splits them on the format's delimiter. Target: analyze at least 50% of the baseline
 * by CPU time. Also the peak memory (max RSS) of each, every measurement in a child process of
 * its own, interleaved, best of N. Before timing, each analyze run is checked: it must count
 * exactly the connections written (replies and B/C/E tuples joined), else the bench fails.
 *
 * Run: npm run build && node dist/bench/analyze/formats.bench.js [--size 40m] [--runs 2] [--format aws-vpc,...]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeLogs } from '../../src/analyze/analyze-logs.js';
import { fileInput } from '../../src/analyze/open-input.js';
import { createClassifier, loadBootstrapSnapshot } from '../../src/index.js';
import { cpuMs, readAndSplit } from './read-split.js';
import { BENCH_FORMATS, BYTES_PER_CONNECTION, RECORDS_PER_CONNECTION, writeFormatLog, type BenchFormat } from './format-logs.js';

const TARGET_RATIO = 0.5;
const DELIM: Readonly<Record<BenchFormat, string>> = { 'aws-vpc': ' ', nfdump: ',', 'zeek-conn': '\t', 'panos-traffic': ',', 'azure-nsg': ',' };

interface ChildResult {
  readonly kind: string;
  readonly lines: number;
  readonly records: number;
  readonly flows: number;
  readonly format: string;
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

async function baseline(path: string, delim: string): Promise<ChildResult> {
  const r = await readAndSplit(path, delim);
  return { kind: 'baseline', lines: r.lines, records: r.lines, flows: 0, format: '', ms: r.ms, cpuMs: r.cpuMs, maxRssMb: r.maxRssMb };
}

async function analyze(path: string): Promise<ChildResult> {
  const classifier = createClassifier(loadBootstrapSnapshot());
  const c0 = cpuMs();
  const t0 = performance.now();
  const s = await analyzeLogs([fileInput(path)], { classifier });
  const ms = performance.now() - t0;
  return { kind: 'analyze', lines: s.lines, records: s.records, flows: s.flows, format: s.inputs[0]?.format ?? '', ms, cpuMs: cpuMs() - c0, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

function runChild(kind: 'baseline' | 'analyze', path: string, format: BenchFormat): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, '--file', path, '--format', format], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${kind} child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { size: { type: 'string', default: '40m' }, runs: { type: 'string', default: '2' }, child: { type: 'string' }, file: { type: 'string' }, format: { type: 'string' } },
  });
  if (values.child !== undefined) {
    const f = (values.format ?? 'aws-vpc') as BenchFormat;
    const r = values.child === 'baseline' ? await baseline(values.file ?? '', DELIM[f]) : await analyze(values.file ?? '');
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const m = /^(\d+)([km]?)$/i.exec(values.size);
  const size = Number(m?.[1] ?? 40) * ({ '': 1, k: 1e3, m: 1e6 }[(m?.[2] ?? 'm').toLowerCase() as '' | 'k' | 'm'] ?? 1e6);
  const runs = Number(values.runs);
  const formats = values.format === undefined ? BENCH_FORMATS : (values.format.split(',') as BenchFormat[]);
  const prefixes = loadBootstrapSnapshot().sets.flatMap((s) => s.ips);
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-formats-bench-'));
  let failed = false;
  try {
    console.log(`format          connections  size    baseline rec/s CPU  analyze rec/s CPU  ratio CPU (wall)  max RSS base/analyze`);
    for (const f of formats) {
      const path = join(dir, `${f}.log`);
      const conns = Math.round(size / BYTES_PER_CONNECTION[f]);
      await writeFormatLog(path, f, prefixes, conns);
      const bytes = statSync(path).size;
      const base: ChildResult[] = [];
      const an: ChildResult[] = [];
      for (let i = 0; i < runs; i++) {
        base.push(runChild('baseline', path, f));
        an.push(runChild('analyze', path, f));
      }
      for (const r of an) {
        // Checked before any figure is believed: every record read, every connection counted once.
        if (r.format !== f || r.flows !== conns || r.records !== conns * RECORDS_PER_CONNECTION[f]) {
          throw new Error(`${f}: analyze read ${r.records} records as ${r.format} into ${r.flows} connections; expected ${conns * RECORDS_PER_CONNECTION[f]} into ${conns}`);
        }
      }
      const best = (rs: readonly ChildResult[], k: 'ms' | 'cpuMs'): number => Math.min(...rs.map((r) => r[k]));
      const recs = conns * RECORDS_PER_CONNECTION[f];
      const cpuRatio = best(base, 'cpuMs') / best(an, 'cpuMs');
      const wallRatio = best(base, 'ms') / best(an, 'ms');
      const ok = cpuRatio >= TARGET_RATIO;
      failed ||= !ok;
      const rate = (ms: number): string => `${(recs / (ms / 1000) / 1e6).toFixed(2)} M`;
      const rss = (rs: readonly ChildResult[]): string => Math.max(...rs.map((r) => r.maxRssMb)).toFixed(0);
      console.log(
        `${f.padEnd(15)} ${conns.toLocaleString('en-US').padStart(11)}  ${`${(bytes / 1e6).toFixed(0)} MB`.padEnd(7)} ${rate(best(base, 'cpuMs')).padStart(18)}  ${rate(best(an, 'cpuMs')).padStart(17)}  ${`${(cpuRatio * 100).toFixed(0)}% (${(wallRatio * 100).toFixed(0)}%)`.padStart(16)}${ok ? '' : ' BELOW'}  ${rss(base)} / ${rss(an)} MB`,
      );
      rmSync(path, { force: true });
    }
    console.log(`(best of ${runs} runs each, interleaved; target analyze >= ${TARGET_RATIO * 100}% of the baseline by CPU time)`);
    if (failed) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
