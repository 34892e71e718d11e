import { Pool } from 'undici';
import WebSocket from 'ws';
import type { CheckOutcome, CheckSpec, RunContext } from '../context.js';
import { flowQuery } from '../http.js';
import { latencyStats } from '../latency.js';
import { streamUrl } from '../stream-client.js';
import type { ConformanceFlow, Measurement, Thresholds } from '../types.js';

// Above this share of failed requests a measured figure means nothing.
const MAX_ERROR_RATE = 0.01;

interface LoadSettings {
  readonly durationMs: number;
  readonly concurrency: number;
  readonly batchSize: number;
}

export function loadSettings(ctx: RunContext, o: Partial<LoadSettings> | undefined): LoadSettings {
  return {
    durationMs: o?.durationMs ?? ctx.settings.durationMs,
    concurrency: o?.concurrency ?? ctx.settings.concurrency,
    batchSize: o?.batchSize ?? ctx.settings.batchSize,
  };
}

function loadFlows(ctx: RunContext): ConformanceFlow[] {
  const flows = ctx.vectors.map((v) => v.flow);
  return flows.length > 0 ? flows : [{ host: 'outlook.office.com' }, { ip: '192.0.2.1' }];
}

function measurement(scenario: string, s: LoadSettings, flowsPerRequest: number, elapsedMs: number, samples: number[], errors: number): Measurement {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const ok = samples.length - errors;
  return {
    scenario,
    durationMs: Math.round(elapsedMs),
    concurrency: s.concurrency,
    flowsPerRequest,
    requests: samples.length,
    flows: ok * flowsPerRequest,
    errors,
    requestsPerSecond: Math.round(ok / seconds),
    flowsPerSecond: Math.round((ok * flowsPerRequest) / seconds),
    latency: latencyStats(samples),
  };
}

/** `concurrency` loops, each sending one request after the other until the time is up. */
async function httpLoad(ctx: RunContext, s: LoadSettings, scenario: string, flowsPerRequest: number, next: (i: number) => { method: 'GET' | 'POST'; path: string; body?: string }): Promise<Measurement> {
  const pool = new Pool(ctx.http.origin, { connections: s.concurrency, headersTimeout: ctx.timeoutMs, bodyTimeout: ctx.timeoutMs });
  const headers: Record<string, string> = { ...ctx.http.authHeaders(), 'content-type': 'application/json' };
  const samples: number[] = [];
  let errors = 0;
  let seq = 0;
  const start = performance.now();
  const end = start + s.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const r = next(seq++);
      const t0 = performance.now();
      try {
        const res = await pool.request({ origin: ctx.http.origin, method: r.method, path: r.path, headers, ...(r.body !== undefined ? { body: r.body } : {}) });
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      samples.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  const elapsed = performance.now() - start;
  await pool.close();
  return measurement(scenario, s, flowsPerRequest, elapsed, samples, errors);
}

/** One socket, `concurrency` messages in flight, answers matched by id. */
function streamLoad(ctx: RunContext, s: LoadSettings, bodies: string[]): Promise<Measurement | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(streamUrl(ctx.target), { headers: ctx.http.authHeaders(), maxPayload: 256 * 1024 * 1024 });
    const sent = new Map<number, number>();
    const samples: number[] = [];
    let errors = 0;
    let seq = 0;
    let start = 0;
    let end = 0;
    const send = (): void => {
      const id = seq++;
      sent.set(id, performance.now());
      ws.send(`{"id":${id},${bodies[id % bodies.length]!}`);
    };
    const finish = (): void => {
      clearTimeout(guard);
      const elapsed = performance.now() - start;
      ws.terminate();
      resolve(measurement('WebSocket batches', s, s.batchSize, elapsed, samples, errors));
    };
    // A target that stops answering must not hold the run: count what is missing as errors.
    const guard = setTimeout(() => {
      errors += sent.size;
      finish();
    }, s.durationMs + ctx.timeoutMs);
    ws.on('open', () => {
      start = performance.now();
      end = start + s.durationMs;
      for (let i = 0; i < s.concurrency; i++) send();
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const m = /^\{"id":(\d+)/.exec(text);
      let id = m === null ? -1 : Number(m[1]);
      if (id < 0) {
        try {
          const parsed = JSON.parse(text) as { id?: unknown };
          id = typeof parsed.id === 'number' ? parsed.id : -1;
        } catch {
          id = -1;
        }
      }
      const t0 = sent.get(id);
      if (t0 === undefined) return;
      sent.delete(id);
      samples.push(performance.now() - t0);
      if (!text.includes('"results"')) errors++;
      if (performance.now() < end) send();
      else if (sent.size === 0) finish();
    });
    ws.on('error', (err: Error) => {
      clearTimeout(guard);
      resolve(`the WebSocket failed: ${err.message}`);
    });
    ws.on('close', () => {
      clearTimeout(guard);
      if (sent.size > 0) resolve(`the WebSocket closed with ${sent.size} messages unanswered`);
    });
  });
}

function judge(m: Measurement, required: boolean, limits: Array<{ what: string; ok: boolean; text: string }>): CheckOutcome {
  const summary = `${m.requestsPerSecond} req/s, ${m.flowsPerSecond} flows/s, p50 ${m.latency.p50Ms} ms, p99 ${m.latency.p99Ms} ms at concurrency ${m.concurrency} for ${(m.durationMs / 1000).toFixed(1)} s${m.errors > 0 ? `, ${m.errors} errors` : ''}`;
  const notes = limits.map((l) => `${l.ok ? 'met' : 'missed'}: ${l.text}`);
  const errorRate = m.requests === 0 ? 1 : m.errors / m.requests;
  if (m.requests === m.errors) {
    const why = `Not measured: none of ${m.requests} requests succeeded`;
    return required ? { verdict: 'fail', summary: why, evidence: { measurement: m, notes }, required } : { verdict: 'skip', summary: why, evidence: { measurement: m, notes }, required };
  }
  if (!required) return { verdict: 'pass', summary: `${summary} (measured; no threshold given)`, evidence: { measurement: m, notes }, required: false };
  if (errorRate > MAX_ERROR_RATE) notes.push(`missed: at most ${MAX_ERROR_RATE * 100}% failed requests (${(errorRate * 100).toFixed(2)}%)`);
  const failed = limits.some((l) => !l.ok) || errorRate > MAX_ERROR_RATE;
  return { verdict: failed ? 'fail' : 'pass', summary, evidence: { measurement: m, notes }, required: true };
}

function thresholds(ctx: RunContext): Thresholds {
  return { ...ctx.settings.defaultThresholds, ...ctx.thresholds };
}

export function createPerformanceChecks(options: Partial<LoadSettings> | undefined): CheckSpec[] {
  const get = async (ctx: RunContext): Promise<CheckOutcome> => {
    const s = loadSettings(ctx, options);
    const paths = loadFlows(ctx).map((f) => `${ctx.http.pathOf('/v1/classify')}?${new URLSearchParams(flowQuery(f)).toString()}`);
    const m = await httpLoad(ctx, s, 'single-flow GET', 1, (i) => ({ method: 'GET', path: paths[i % paths.length]! }));
    const t = thresholds(ctx);
    const limits = [
      ...(t.rps !== undefined ? [{ what: 'rps', ok: m.requestsPerSecond >= t.rps, text: `at least ${t.rps} requests/s (${m.requestsPerSecond})` }] : []),
      ...(t.p99Ms !== undefined ? [{ what: 'p99', ok: m.latency.p99Ms <= t.p99Ms, text: `p99 at most ${t.p99Ms} ms (${m.latency.p99Ms})` }] : []),
    ];
    return judge(m, limits.length > 0, limits);
  };
  const batch = async (ctx: RunContext): Promise<CheckOutcome> => {
    const s = loadSettings(ctx, options);
    const flows = loadFlows(ctx);
    const bodies = Array.from({ length: 8 }, (_, k) => JSON.stringify({ flows: Array.from({ length: s.batchSize }, (_, j) => flows[(k * s.batchSize + j) % flows.length]) }));
    const path = ctx.http.pathOf('/v1/classify');
    const m = await httpLoad(ctx, s, `POST batches of ${s.batchSize}`, s.batchSize, (i) => ({ method: 'POST', path, body: bodies[i % bodies.length]! }));
    const min = thresholds(ctx).batchFlowsPerSecond;
    return judge(m, min !== undefined, min !== undefined ? [{ what: 'flows/s', ok: m.flowsPerSecond >= min, text: `at least ${min} flows/s (${m.flowsPerSecond})` }] : []);
  };
  const stream = async (ctx: RunContext): Promise<CheckOutcome> => {
    const s = loadSettings(ctx, options);
    const flows = loadFlows(ctx);
    const bodies = Array.from({ length: 8 }, (_, k) => `"flows":${JSON.stringify(Array.from({ length: s.batchSize }, (_, j) => flows[(k * s.batchSize + j) % flows.length]))}}`);
    const m = await streamLoad(ctx, s, bodies);
    const min = thresholds(ctx).streamFlowsPerSecond;
    if (typeof m === 'string') return { verdict: min !== undefined ? 'fail' : 'skip', summary: `Not measured: ${m}`, evidence: { notes: [m] }, required: min !== undefined };
    return judge(m, min !== undefined, min !== undefined ? [{ what: 'flows/s', ok: m.flowsPerSecond >= min, text: `at least ${min} flows/s (${m.flowsPerSecond})` }] : []);
  };
  return [
    { id: 'performance.classify-get', title: 'Single-flow GET /v1/classify: throughput and latency', run: get },
    { id: 'performance.classify-batch', title: 'POST /v1/classify batches: throughput and latency', run: batch },
    { id: 'performance.stream', title: 'WebSocket batches: throughput and latency', run: stream },
  ].map((c) => ({ ...c, group: 'performance' as const, principle: 'operations' as const, required: false }));
}
