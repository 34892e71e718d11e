/**
 * Lookups during a hot swap next to a steady run, against the real server over HTTP.
 *
 * The server runs in a child process (this file with `--server`), so that the load generator
 * here and the server do not share an event loop. Each phase runs for the same time with the
 * same connections: "steady" serves one version; "swap" rebuilds and publishes an index every
 * SWAP_EVERY_MS in the server process, cycling through the four real versions, as the updater
 * does it (parse and validate the response, createClassifier off to the side, one publish).
 * Reported: lookups/s and p50/p99 latency per phase for single GETs and batches of 1000, the
 * ratio swap/steady, failed requests, and answers checked against the engine of the version
 * each reports (one in eight; a wrong or failed answer makes the bench exit non-zero).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createClassifier, type Classifier } from '../../src/index.js';
import { snapshotFromSets } from '../../src/ingest/parse-endpoints.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { LiveIndex } from '../../src/follow/live-index.js';
import { startServer } from '../../src/serve/server.js';
import type { Flow } from '../../src/core/types.js';
import { readRealResponseText, REAL_RESPONSES } from '../../test/support/data.js';
import { makeLookupInputs } from '../support/flow-inputs.js';

const VERSIONS = ['2019010700', '2019102800', '2020042800', '2025063000'] as const;
const PHASE_MS = Number(process.env['SWAP_BENCH_PHASE_MS'] ?? 1500);
// Steady and swap phases alternate this many times: other load on the machine hits both alike.
const ROUNDS = 3;
const SWAP_EVERY_MS = Number(process.env['SWAP_BENCH_EVERY_MS'] ?? 250);
const CONNECTIONS = 16;
const BATCH = 1000;

/** The four real responses as the updater would hold them: text, parsed, validated when built. */
function responses(): Array<{ version: string; text: string }> {
  return REAL_RESPONSES.map((name, i) => ({ version: VERSIONS[i] as string, text: readRealResponseText(name) }));
}

function build(r: { version: string; text: string }): Classifier {
  return createClassifier(snapshotFromSets(JSON.parse(r.text) as unknown, { version: r.version, fetchedAt: new Date().toISOString(), origin: 'bench' }));
}

// ---- the server process ----

async function serverMain(): Promise<void> {
  const all = responses();
  const live = new LiveIndex();
  live.publish(build(all[0]!), { source: 'live' });
  const config = resolveServeConfig(['--port', '0', '--log-level', 'silent', '--max-event-loop-delay-ms', '0'], {});
  const server = await startServer(config, { liveIndex: live, defaultMetrics: false });
  let timer: NodeJS.Timeout | null = null;
  let next = 1;
  const buildMs: number[] = [];
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'swap-start') {
      timer = setInterval(() => {
        const t0 = performance.now();
        const c = build(all[next % all.length]!);
        live.publish(c, { source: 'live' });
        buildMs.push(performance.now() - t0);
        next++;
      }, SWAP_EVERY_MS);
    } else if (m.cmd === 'swap-stop') {
      if (timer) clearInterval(timer);
      process.send?.({ swaps: buildMs.length, buildMs });
    } else if (m.cmd === 'exit') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ port: server.port });
}

// ---- the load generator ----

interface PhaseResult {
  readonly name: string;
  readonly lookups: number;
  readonly requests: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly wrong: number;
  readonly checked: number;
  readonly versions: number;
  readonly latencies: readonly number[];
}

/** Phases of one kind taken together: lookups over total time, percentiles over all requests. */
function merge(rs: readonly PhaseResult[]): PhaseResult {
  const lat = rs.flatMap((r) => r.latencies);
  const sorted = Float64Array.from(lat).sort();
  const sum = (f: (r: PhaseResult) => number): number => rs.reduce((n, r) => n + f(r), 0);
  return {
    name: rs[0]?.name ?? '',
    lookups: sum((r) => r.lookups),
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    failed: sum((r) => r.failed),
    wrong: sum((r) => r.wrong),
    checked: sum((r) => r.checked),
    versions: Math.max(...rs.map((r) => r.versions)),
    latencies: lat,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

interface Load {
  readonly flows: readonly Flow[];
  readonly queries: readonly string[];
  /** Batch request bodies, built before timing so the generator spends its time on requests. */
  readonly batches: ReadonlyArray<{ readonly flows: readonly Flow[]; readonly body: string }>;
}

async function phase(name: string, url: string, kind: 'single' | 'batch', load: Load, engines: Map<string, Classifier>): Promise<PhaseResult> {
  const { flows, queries, batches } = load;
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const lat: number[] = [];
  const seen = new Set<string>();
  let lookups = 0;
  let failed = 0;
  let wrong = 0;
  let checked = 0;
  let n = 0;
  const end = performance.now() + PHASE_MS;
  const check = (flow: Flow, answer: { version?: string }): void => {
    checked++;
    const e = answer.version !== undefined ? engines.get(answer.version) : undefined;
    if (!e || JSON.stringify(e.classify(flow)) !== JSON.stringify(answer)) wrong++;
  };
  const loop = async (w: number): Promise<void> => {
    while (performance.now() < end) {
      const i = n++;
      const t0 = performance.now();
      try {
        if (kind === 'single') {
          const res = await pool.request({ method: 'GET', path: `/v1/classify?${queries[i % queries.length]}` });
          const text = await res.body.text();
          if (res.statusCode !== 200) failed++;
          else {
            lookups++;
            if ((i & 7) === w % 8) {
              const a = JSON.parse(text) as { version: string };
              seen.add(a.version);
              check(flows[i % flows.length] as Flow, a);
            }
          }
        } else {
          const b = batches[i % batches.length]!;
          const part = b.flows;
          const res = await pool.request({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'application/json' }, body: b.body });
          const text = await res.body.text();
          if (res.statusCode !== 200) failed++;
          else {
            lookups += BATCH;
            if ((i & 7) === 0) {
              const a = JSON.parse(text) as { version: string; results: Array<{ version?: string }> };
              seen.add(a.version);
              for (let k = 0; k < a.results.length; k += 16) check(part[k] as Flow, a.results[k] as { version?: string });
            }
          }
        }
      } catch {
        failed++;
      }
      lat.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_x, w) => loop(w)));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  const sorted = Float64Array.from(lat).sort();
  return { name, lookups, requests: lat.length, seconds, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), failed, wrong, checked, versions: seen.size, latencies: lat };
}

function request<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ cmd });
  });
}

async function main(): Promise<void> {
  const all = responses();
  const engines = new Map(all.map((r) => [r.version, build(r)] as const));
  // Flows touching every version's sets, hits and misses.
  const flows = [...engines.values()].flatMap((e) => makeLookupInputs(e.snapshot.sets, 2048).flows);
  const queries = flows.map((f) => {
    const q = new URLSearchParams();
    if (f.ip !== undefined) q.set('ip', f.ip);
    if (f.host !== undefined) q.set('host', f.host);
    if (f.port !== undefined) q.set('port', String(f.port));
    if (f.protocol !== undefined) q.set('protocol', f.protocol);
    return q.toString();
  });
  const batches = Array.from({ length: 32 }, (_x, i) => {
    const part = Array.from({ length: BATCH }, (_y, k) => flows[(i * BATCH + k) % flows.length] as Flow);
    return { flows: part, body: JSON.stringify({ flows: part }) };
  });
  const load: Load = { flows, queries, batches };
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const url = `http://127.0.0.1:${port}`;
  // Warm-up: JIT and connections, not timed.
  await phase('warm-up', url, 'single', load, engines);
  await phase('warm-up', url, 'batch', load, engines);

  const results: PhaseResult[] = [];
  const swapInfo: Array<{ swaps: number; buildMs: number[] }> = [];
  for (const kind of ['single', 'batch'] as const) {
    const steady: PhaseResult[] = [];
    const swapping: PhaseResult[] = [];
    const builds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      steady.push(await phase(`${kind} steady`, url, kind, load, engines));
      child.send({ cmd: 'swap-start' });
      swapping.push(await phase(`${kind} during swaps`, url, kind, load, engines));
      builds.push(...(await request<{ swaps: number; buildMs: number[] }>(child, 'swap-stop')).buildMs);
    }
    results.push(merge(steady), merge(swapping));
    swapInfo.push({ swaps: builds.length, buildMs: builds });
  }
  child.send({ cmd: 'exit' });

  console.log(
    `hot swap under load: ${CONNECTIONS} connections, ${ROUNDS} x ${PHASE_MS} ms per phase (alternating), a swap every ${SWAP_EVERY_MS} ms during "swaps" (four real versions, rebuilt each time)`,
  );
  console.log('phase                     lookups/s    p50 ms   p99 ms  requests  failed  wrong/checked  versions');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(24)} ${Math.round(r.lookups / r.seconds).toString().padStart(10)} ${r.p50Ms.toFixed(2).padStart(9)} ${r.p99Ms.toFixed(2).padStart(8)} ${String(r.requests).padStart(9)} ${String(r.failed).padStart(7)} ${`${r.wrong}/${r.checked}`.padStart(14)} ${String(r.versions).padStart(9)}`,
    );
  }
  for (const [i, kind] of (['single', 'batch'] as const).entries()) {
    const steady = results[i * 2] as PhaseResult;
    const swap = results[i * 2 + 1] as PhaseResult;
    const info = swapInfo[i] as { swaps: number; buildMs: number[] };
    const builds = [...info.buildMs].sort((a, b) => a - b);
    console.log(
      `${kind}: during swaps / steady = ${(swap.lookups / swap.seconds / (steady.lookups / steady.seconds)).toFixed(2)}x lookups/s, p99 ${(swap.p99Ms / steady.p99Ms).toFixed(2)}x; ${info.swaps} swaps, build+publish median ${(builds[builds.length >> 1] ?? 0).toFixed(1)} ms, max ${(builds[builds.length - 1] ?? 0).toFixed(1)} ms`,
    );
  }
  const bad = results.filter((r) => r.name !== 'warm-up' && (r.failed > 0 || r.wrong > 0));
  if (bad.length > 0) {
    console.error(`FAILED: ${bad.map((r) => `${r.name}: ${r.failed} failed, ${r.wrong} wrong`).join('; ')}`);
    process.exit(1);
  }
}

if (process.argv.includes('--server')) void serverMain();
else
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
