/**
 * The binary protocol against JSON, measured as users see it (issue 13, section 2). The server
 * runs in a child process with --binary-port; the load client is this process, over loopback.
 *
 *   1. bootstrap data: IPv4-only and mixed flows, 4,096 per frame/message: binary over TCP and
 *      over the WebSocket against JSON over the WebSocket, on the same flows;
 *   2. a realistic workload: a generated set twice the 2020-05 Worldwide one (every wildcard
 *      shape, nested prefixes across sets, port overlaps) and mixed flows (host only, ip only,
 *      both; IPv4, IPv6, ::ffff:; ports and protocols; about 1 % invalid), over GET, POST,
 *      JSON WebSocket and binary (WebSocket and TCP).
 *
 * Each case reports wall-clock flows/s (what this shared machine gave; the load client competes
 * for the same cores) and flows per server CPU second (from /proc: the server's own cost).
 * Before anything is timed, the server's answers on every path are checked against the engine
 * in this process; a difference aborts. ROUNDS rounds, cases interleaved, median round kept.
 *
 * Run: npm run build && node dist/bench/serve/binary.bench.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { request } from 'undici';
import { createClassifier, loadBootstrapSnapshot, type Classifier } from '../../src/index.js';
import { ERROR_NUMBERS } from '../../src/core/errors.js';
import type { Flow } from '../../src/core/types.js';
import { decodeFrame, encodeRequest, expectedRecord, FrameReader } from '../../test/support/binary-codec.js';
import { generateScaledWorldwide } from '../support/generate-sets.js';
import { makeLookupInputs } from '../support/flow-inputs.js';
import { realisticFlows } from '../support/realistic-flows.js';
import { lengthPrefixed, tcpFrameLoad } from './binary-load-client.js';
import { httpLoad, wsLoad } from './load-client.js';
import { fmt, rowNamed, runRounds, type Case, type Row } from './rounds.js';
import { start, stop, type Server } from './server-process.js';
import { makeWorkload } from './workload.js';
import { connect } from 'node:net';
import { WebSocket } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../../src/cli/main.js');
const ROUNDS = 3;
const DISTINCT = 8;

const rows: Row[] = [];

/** `n` flows per batch, `DISTINCT` batches cycling through `flows`. */
function batches(flows: readonly Flow[], n: number): Flow[][] {
  return Array.from({ length: DISTINCT }, (_, k) => Array.from({ length: n }, (_, i) => flows[(k * n + i) % flows.length]!));
}

async function tcpOnce(port: number, frame: Buffer): Promise<Buffer> {
  const s = connect(port, '127.0.0.1');
  const reader = new FrameReader();
  return new Promise((resolve, reject) => {
    s.on('data', (c: Buffer) => {
      const [f] = reader.push(c);
      if (f) {
        s.destroy();
        resolve(Buffer.from(f));
      }
    });
    s.once('error', reject);
    s.write(lengthPrefixed([frame])[0]!);
  });
}

async function wsOnce(url: string, message: string | Buffer): Promise<Buffer> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream`);
  const got = await new Promise<Buffer>((resolve, reject) => {
    ws.once('open', () => ws.send(message));
    ws.once('message', (d: Buffer) => resolve(d));
    ws.once('error', reject);
  });
  ws.close();
  return got;
}

/** Aborts unless binary (TCP and WebSocket) and JSON answers equal the engine's, record by record. */
async function verify(s: Server, engine: Classifier, flows: readonly Flow[]): Promise<void> {
  const frame = encodeRequest(42, flows);
  const want = flows.map((f) => expectedRecord(engine.classify(f), ERROR_NUMBERS));
  for (const [path, got] of [['TCP', await tcpOnce(s.ports[1]!, frame)], ['WebSocket', await wsOnce(s.url, frame)]] as const) {
    const a = decodeFrame(got);
    if (a.version !== engine.version || !isDeepStrictEqual(a.records, want)) throw new Error(`binary ${path} answers differ from the engine`);
  }
  const json = JSON.parse((await wsOnce(s.url, JSON.stringify({ flows }))).toString()) as unknown;
  if (!isDeepStrictEqual(json, { version: engine.version, results: flows.map((f) => engine.classify(f)) })) throw new Error('JSON WebSocket answers differ');
  const r = await request(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flows: flows.slice(0, 1000) }) });
  const post = (await r.body.json()) as { results: unknown[] };
  if (!isDeepStrictEqual(post.results, flows.slice(0, 1000).map((f) => engine.classify(f)))) throw new Error('POST answers differ');
}

function binaryCases(s: Server, label: string, flows: readonly Flow[], n: number, totals: { tcp: number; ws: number }): Case[] {
  const frames = batches(flows, n).map((b, k) => encodeRequest(k + 1, b));
  const tcpFrames = lengthPrefixed(frames);
  const pid = s.child.pid!;
  return [
    { name: `${label} binary TCP`, flows: n, run: () => tcpFrameLoad(s.ports[1]!, pid, { connections: 2, window: 2, total: totals.tcp, warmup: totals.tcp >> 3, frames: tcpFrames }) },
    { name: `${label} binary WebSocket`, flows: n, run: () => wsLoad(s.url, pid, { sockets: 2, window: 2, total: totals.ws, warmup: totals.ws >> 3, make: (i) => frames[i % DISTINCT]! }) },
  ];
}

function jsonWsCase(s: Server, label: string, flows: readonly Flow[], n: number, total: number): Case {
  const msgs = batches(flows, n).map((b, k) => JSON.stringify({ id: k, flows: b }));
  return { name: `${label} JSON WebSocket`, flows: n, run: () => wsLoad(s.url, s.child.pid!, { sockets: 2, window: 2, total, warmup: total >> 3, make: (i) => msgs[i % DISTINCT]! }) };
}

async function runCases(cases: Case[]): Promise<void> {
  rows.push(...(await runRounds(cases, ROUNDS)));
}

const perCpu = (row: Row): number => (row.flows * 1e6) / row.r.serverCpuUs;
const wall = (row: Row): number => row.r.perSecond * row.flows;
const row = (name: string): Row => rowNamed(rows, name);

async function main(): Promise<void> {
  const started = Date.now();
  const load0 = loadavg();
  console.log(`binary protocol bench: node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);

  // 1. bootstrap data
  const snapshot = loadBootstrapSnapshot();
  const engine = createClassifier(snapshot);
  const inputs = makeLookupInputs(snapshot.sets, 4096);
  const v4: Flow[] = inputs.ipv4Texts.map((ip) => ({ ip, port: 443, protocol: 'tcp' }));
  const mixed = makeWorkload(snapshot, 4096).flows;
  const boot = await start(CLI, ['serve', '--port', 'PORT', '--binary-port', 'PORT2', '--log-level', 'warn'], '/readyz');
  try {
    await verify(boot, engine, v4.slice(0, 4096));
    await verify(boot, engine, mixed);
    console.log(`data: bootstrap ${engine.version}, ${snapshot.sets.length} sets; answers of binary TCP, binary WebSocket, JSON WebSocket and POST equal the engine's: ok`);
    process.stdout.write('running bootstrap cases');
    await runCases([
      ...binaryCases(boot, 'IPv4 4096/frame', v4, 4096, { tcp: 800, ws: 600 }),
      jsonWsCase(boot, 'IPv4 4096/message', v4, 4096, 120),
      ...binaryCases(boot, 'mixed 4096/frame', mixed, 4096, { tcp: 300, ws: 300 }),
      jsonWsCase(boot, 'mixed 4096/message', mixed, 4096, 80),
    ]);
  } finally {
    await stop(boot);
  }

  // 2. realistic workload on a generated set
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-binary-bench-'));
  const raw = generateScaledWorldwide(2);
  const file = join(dir, 'generated.json');
  writeFileSync(file, JSON.stringify(raw));
  const gen = createClassifier(raw);
  const flows = realisticFlows(gen.snapshot.sets, 8192);
  const real = await start(CLI, ['serve', '--data', file, '--port', 'PORT', '--binary-port', 'PORT2', '--log-level', 'warn'], '/readyz');
  try {
    await verify(real, gen, flows.slice(0, 4096));
    const urls = gen.snapshot.sets.reduce((k, s) => k + s.urls.length, 0);
    console.log(`\nrealistic: generated set ${gen.snapshot.sets.length} sets, ${urls} urls; ${flows.length} distinct flows; answers on every path equal the engine's: ok`);
    const queries = flows.map((f) => new URLSearchParams(Object.entries(f).map(([k, v]) => [k, String(v)] as [string, string])).toString());
    const posts = batches(flows, 1000).map((b) => JSON.stringify({ flows: b }));
    const pid = real.child.pid!;
    process.stdout.write('running realistic cases');
    await runCases([
      { name: 'realistic GET, 1 flow', flows: 1, run: () => httpLoad(real.url, pid, { connections: 4, pipelining: 8, total: 6000, warmup: 1000, make: (i) => ({ method: 'GET', path: `/v1/classify?${queries[i % queries.length]}` }), allow400: true }) },
      { name: 'realistic POST 1000', flows: 1000, run: () => httpLoad(real.url, pid, { connections: 2, pipelining: 2, total: 200, warmup: 40, make: (i) => ({ method: 'POST', path: '/v1/classify', body: posts[i % DISTINCT]! }) }) },
      jsonWsCase(real, 'realistic 1000/message', flows, 1000, 200),
      ...binaryCases(real, 'realistic 1000/frame', flows, 1000, { tcp: 1000, ws: 1000 }),
      ...binaryCases(real, 'realistic 4096/frame', flows, 4096, { tcp: 300, ws: 300 }),
    ]);
  } finally {
    await stop(real);
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n\n${'case'.padEnd(38)}${'flows/s wall'.padStart(14)}${'flows/srv CPU s'.padStart(17)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
  for (const r of rows) console.log(`${r.name.padEnd(38)}${fmt(wall(r)).padStart(14)}${fmt(perCpu(r)).padStart(17)}${fmt(r.r.p50Ms, 2).padStart(9)}${fmt(r.r.p99Ms, 2).padStart(9)}`);

  const checks: Array<[string, number, number, string]> = [];
  const ratio = (a: string, b: string): number => perCpu(row(a)) / perCpu(row(b));
  checks.push(['IPv4 4096 binary TCP, flows per server CPU s >= 5 M', perCpu(row('IPv4 4096/frame binary TCP')), 5e6, 'M']);
  checks.push(['IPv4 4096 binary WebSocket, per server CPU s >= 5 M', perCpu(row('IPv4 4096/frame binary WebSocket')), 5e6, 'M']);
  checks.push(['IPv4 4096 binary TCP / JSON WebSocket (per CPU) >= 5x', ratio('IPv4 4096/frame binary TCP', 'IPv4 4096/message JSON WebSocket'), 5, 'x']);
  checks.push(['IPv4 4096 binary WebSocket / JSON WebSocket >= 5x', ratio('IPv4 4096/frame binary WebSocket', 'IPv4 4096/message JSON WebSocket'), 5, 'x']);
  checks.push(['mixed 4096 binary TCP, per server CPU s >= 2 M', perCpu(row('mixed 4096/frame binary TCP')), 2e6, 'M']);
  checks.push(['mixed 4096 binary WebSocket, per server CPU s >= 2 M', perCpu(row('mixed 4096/frame binary WebSocket')), 2e6, 'M']);
  console.log('\ntargets (per server process):');
  for (const [label, v, min, unit] of checks) {
    const shown = unit === 'M' ? `${(v / 1e6).toFixed(2)} M` : `${v.toFixed(1)}x`;
    console.log(`${v >= min ? 'PASS' : 'FAIL'}  ${label.padEnd(58)} ${shown}`);
  }
  console.log(`\nwall clock, same flows: IPv4 binary TCP ${(wall(row('IPv4 4096/frame binary TCP')) / wall(row('IPv4 4096/message JSON WebSocket'))).toFixed(1)}x JSON WebSocket; realistic binary TCP 1000 ${(wall(row('realistic 1000/frame binary TCP')) / wall(row('realistic POST 1000'))).toFixed(1)}x POST 1000`);
  console.log(`load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cpus; other work on the machine lowers wall-clock figures)`);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
