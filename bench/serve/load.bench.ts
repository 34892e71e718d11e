/**
 * Load benchmark of the classifier service (issue 3). The servers run in child processes; the
 * load comes from this process over loopback: undici (keep-alive, pipelining) and `ws`.
 *
 *   single-flow GET /v1/classify     beside a bare fastify GET returning a constant of the same size
 *   POST /v1/classify, 100 and 1,000 flows   beside a bare POST of the same body and answer size
 *   WebSocket /v1/stream, 1,000 flows per message
 *   the same with --workers 2
 *
 * Each case runs ROUNDS times, ours and the bare one interleaved, and reports the median
 * round: requests/s, flows/s, p50/p99 latency and the server's CPU time per request (from
 * /proc), which stays a fair measure when the load generator, on the same machine, is the
 * limit. Before anything is timed, the server's answers to a sample of GET, POST and
 * WebSocket requests are checked against the engine in this process; a difference aborts.
 * Batches are also broken down in-process (bench/serve/stages.ts) into JSON parse, classify
 * and serialize, so a shortfall shows which stage holds it.
 *
 * Run: npm run bench:service (builds first), or node dist/bench/serve/load.bench.js
 * (--stages: only the in-process stages)
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { createClassifier, loadBootstrapSnapshot, type Classifier } from '../../src/index.js';
import { httpLoad, wsLoad, type HttpRequest, type LoadResult } from './load-client.js';
import { fmt, rowNamed, runRounds, type Case, type Row } from './rounds.js';
import { start, stop, type Server } from './server-process.js';
import { measureStages, type StageCost } from './stages.js';
import { batchOf, makeWorkload, type Workload } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../../src/cli/main.js');
const BARE = join(here, 'bare-server.js');
/** Rounds per case, ours and bare interleaved; the median round is reported (other load on
 * the machine moves single rounds a lot). */
const ROUNDS = 5;
const BATCHES = 16;

/** Aborts the run unless the server answers a sample exactly as the engine here does. */
async function verify(url: string, engine: Classifier, w: Workload): Promise<void> {
  for (let i = 0; i < 300; i += 7) {
    const r = await request(`${url}/v1/classify?${w.queries[i]}`);
    const got = await r.body.json();
    if (!isDeepStrictEqual(got, engine.classify(w.flows[i]!))) throw new Error(`GET ${w.queries[i]}: ${JSON.stringify(got)}`);
  }
  const flows = batchOf(w, 1000, 123);
  const want = { version: engine.version, results: flows.map((f) => engine.classify(f)) };
  const r = await request(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flows }) });
  if (!isDeepStrictEqual(await r.body.json(), want)) throw new Error('POST batch differs from the engine');
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream`);
  const got = await new Promise<unknown>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, flows })));
    ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString())));
    ws.once('error', reject);
  });
  ws.close();
  if (!isDeepStrictEqual(got, { id: 1, ...want })) throw new Error('WebSocket batch differs from the engine');
}

const rows: Row[] = [];

function printRows(): void {
  console.log(`\n${'case'.padEnd(44)}${'req/s'.padStart(10)}${'flows/s'.padStart(12)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'srv CPU us/req'.padStart(16)}`);
  for (const { name, flows, r } of rows) {
    const f = flows > 0 ? fmt(r.perSecond * flows) : '-';
    console.log(
      `${name.padEnd(44)}${fmt(r.perSecond).padStart(10)}${f.padStart(12)}${fmt(r.p50Ms, 2).padStart(9)}${fmt(r.p99Ms, 2).padStart(9)}${fmt(r.serverCpuUs, 1).padStart(16)}`,
    );
  }
}

const find = (name: string): LoadResult => rowNamed(rows, name).r;

function meanAnswerBytes(engine: Classifier, w: Workload): number {
  let total = 0;
  for (const f of w.flows) total += Buffer.byteLength(JSON.stringify(engine.classify(f)));
  return Math.round(total / w.flows.length);
}

function printStages(s: StageCost): void {
  const per = (us: number): string => `${fmt(us, 1).padStart(8)} us  ${fmt((us * 1000) / s.batch, 0).padStart(5)} ns/flow  cap ${fmt((s.batch * 1e6) / us).padStart(11)} flows/s`;
  console.log(`  batch ${s.batch} (request ${fmt(s.requestBytes)} B, answer ${fmt(s.answerBytes)} B)`);
  console.log(`    JSON.parse of the body   ${per(s.parseUs)}`);
  console.log(`    classify (engine)        ${per(s.classifyUs)}`);
  console.log(`    serialize (ours)         ${per(s.serializeUs)}`);
  console.log(`      JSON.stringify+encode  ${per(s.stringifyUs)}  (${fmt(s.stringifyUs / s.serializeUs, 1)}x ours)`);
  console.log(`      join+encode            ${per(s.joinUs)}  (${fmt(s.joinUs / s.serializeUs, 1)}x ours)`);
  console.log(`    parse + answer, fresh flows, no host cache  ${per(s.parseAnswerUs)}`);
  console.log(`    parse + answer, fresh flows, host cache     ${per(s.parseAnswerCachedUs)}`);
}

async function runCases(ours: Server, bare: Server | null, engine: Classifier, w: Workload, label: string, full: boolean): Promise<void> {
  const getSize = meanAnswerBytes(engine, w);
  const posts = new Map<number, string[]>();
  for (const n of [100, 1000]) posts.set(n, Array.from({ length: BATCHES }, (_, k) => JSON.stringify({ flows: batchOf(w, n, k * n) })));
  const msgs = Array.from({ length: BATCHES }, (_, k) => JSON.stringify({ id: k, flows: batchOf(w, 1000, k * 1000) }));
  const answerSize = (n: number): number => {
    const flows = batchOf(w, n, 0);
    return Buffer.byteLength(JSON.stringify({ version: engine.version, results: flows.map((f) => engine.classify(f)) }));
  };
  const oursPid = ours.child.pid!;
  const barePid = bare?.child.pid ?? 0;

  const cases: Case[] = [];
  const http = (name: string, flows: number, url: string, pid: number, o: { connections: number; pipelining: number; total: number }, make: (i: number) => HttpRequest): Case => ({
    name,
    flows,
    run: () => httpLoad(url, pid, { ...o, warmup: Math.min(2000, o.total >> 2), make }),
  });
  const getLoad = { connections: 4, pipelining: 8, total: 12_000 };
  if (bare && full) cases.push(http(`bare GET (${getSize} B constant)`, 1, bare.url, barePid, getLoad, () => ({ method: 'GET', path: `/bare?size=${getSize}` })));
  cases.push(http(`GET /v1/classify${label}`, 1, ours.url, oursPid, getLoad, (i) => ({ method: 'GET', path: `/v1/classify?${w.queries[i % w.queries.length]}` })));
  for (const [n, total, pipelining] of [[100, 2500, 4], [1000, 500, 2]] as const) {
    if (n === 100 && !full) continue;
    const bodies = posts.get(n)!;
    const o = { connections: 4, pipelining, total };
    if (bare && full) {
      const size = answerSize(n);
      cases.push(http(`bare POST ${n} (${fmt(size)} B constant)`, n, bare.url, barePid, o, (i) => ({ method: 'POST', path: `/bare?size=${size}`, body: bodies[i % BATCHES]! })));
    }
    cases.push(http(`POST /v1/classify ${n} flows${label}`, n, ours.url, oursPid, o, (i) => ({ method: 'POST', path: '/v1/classify', body: bodies[i % BATCHES]! })));
  }
  cases.push({
    name: `WebSocket 1000 flows/message${label}`,
    flows: 1000,
    run: () => wsLoad(ours.url, oursPid, { sockets: 4, window: 4, total: 500, warmup: 100, make: (i) => msgs[i % BATCHES]! }),
  });

  rows.push(...(await runRounds(cases, ROUNDS)));
}

async function main(): Promise<void> {
  const started = Date.now();
  const snapshot = loadBootstrapSnapshot();
  const engine = createClassifier(snapshot);
  const w = makeWorkload(snapshot);
  console.log(`service load bench: node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`data: bootstrap ${engine.version}, ${snapshot.sets.length} sets; ${w.flows.length} distinct flows (host+ip+port, ip, host, IPv6)`);

  console.log('\nin-process stages of a batch (median):');
  const stages = [measureStages(engine, w, 100), measureStages(engine, w, 1000)];
  for (const s of stages) printStages(s);
  if (process.argv.includes('--stages')) return;

  const bare = await start(BARE, ['PORT'], '/bare');
  const ours = await start(CLI, ['serve', '--offline', '--port', 'PORT', '--log-level', 'warn'], '/readyz');
  try {
    await verify(ours.url, engine, w);
    console.log('\nanswers over GET, POST and WebSocket equal the engine\'s: ok');
    process.stdout.write('running 1 worker');
    await runCases(ours, bare, engine, w, '', true);
  } finally {
    await stop(ours);
    await stop(bare);
  }

  const two = await start(CLI, ['serve', '--offline', '--port', 'PORT', '--log-level', 'warn', '--workers', '2'], '/readyz');
  try {
    await verify(two.url, engine, w);
    process.stdout.write('\nrunning --workers 2');
    await runCases(two, null, engine, w, ' (--workers 2)', false);
  } finally {
    await stop(two);
  }
  printRows();

  const bareGet = find(rows[0]!.name);
  const get = find('GET /v1/classify');
  const post = find('POST /v1/classify 1000 flows');
  const ws = find('WebSocket 1000 flows/message');
  const barePost = find(rows.find((r) => r.name.startsWith('bare POST 1000'))!.name);
  const s = stages[1]!;
  console.log('\ntargets:');
  console.log(`  single GET vs bare route: ${fmt(get.perSecond / bareGet.perSecond, 2)}x throughput, ${fmt(bareGet.serverCpuUs / get.serverCpuUs, 2)}x per server CPU second (target >= 0.70)`);
  for (const [name, r] of [['POST 1000', post], ['WebSocket 1000', ws]] as const) {
    const perCpu = (1000 * 1e6) / r.serverCpuUs;
    console.log(`  ${name}: ${fmt(r.perSecond * 1000)} flows/s measured, ${fmt(perCpu)} flows per server CPU second (target >= 1,000,000)`);
  }
  console.log('  where a batch of 1,000 spends the server CPU (us per request, POST):');
  const other = post.serverCpuUs - barePost.serverCpuUs - s.parseUs - s.answerCachedUs;
  console.log(`    HTTP transport (bare POST, same body and answer size)  ${fmt(barePost.serverCpuUs, 0).padStart(6)}`);
  console.log(`    JSON.parse of the body                                  ${fmt(s.parseUs, 0).padStart(6)}`);
  console.log(`    classify (engine)                                       ${fmt(s.classifyUs, 0).padStart(6)}`);
  console.log(`    serialize                                               ${fmt(s.serializeUs, 0).padStart(6)}`);
  console.log(`    host cache, counters                                    ${fmt(s.answerCachedUs - s.classifyUs - s.serializeUs, 0).padStart(6)}`);
  console.log(`    the rest (validation, hooks, metrics, GC)               ${fmt(other, 0).padStart(6)}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
