/**
 * In-process cost of each stage of a batch answer, so a load figure below target can be
 * explained: JSON.parse of the request body, classify (engine only), serialize (cached UTF-8
 * bytes per result copied into one Buffer), and the whole answer with and without the host
 * cache. Beside the serializer, the two obvious alternatives (JSON.stringify of the results,
 * a String#join of cached strings), each with the UTF-8 encoding the socket write would do.
 */
import { performance } from 'node:perf_hooks';
import type { Classifier } from '../../src/index.js';
import type { ClassifyResult } from '../../src/core/types.js';
import { HostCaches } from '../../src/serve/host-cache.js';
import { LiveIndex } from '../../src/follow/live-index.js';
import { ServeMetrics } from '../../src/serve/metrics.js';
import { answerFlows, assembleResults } from '../../src/serve/result-json.js';
import { batchOf, type Workload } from './workload.js';

export interface StageCost {
  readonly batch: number;
  /** Microseconds per batch, median of the runs. */
  readonly parseUs: number;
  readonly classifyUs: number;
  readonly serializeUs: number;
  readonly stringifyUs: number;
  readonly joinUs: number;
  /** Whole answer (classify, count, serialize) of freshly parsed flows, parse time taken off. */
  readonly answerUs: number;
  readonly answerCachedUs: number;
  readonly parseAnswerUs: number;
  readonly parseAnswerCachedUs: number;
  /** Bytes of the request body and of the answer. */
  readonly requestBytes: number;
  readonly answerBytes: number;
}

function medianUs(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

let sink = 0;

export function measureStages(c: Classifier, w: Workload, batch: number): StageCost {
  const bodies = Array.from({ length: 16 }, (_, k) => JSON.stringify({ flows: batchOf(w, batch, k * batch) }));
  const parsed = bodies.map((b) => (JSON.parse(b) as { flows: unknown[] }).flows);
  const metrics = new ServeMetrics(new LiveIndex(), { defaultMetrics: false });
  const cached = new HostCaches(50_000);
  const uncached = new HostCaches(0);
  const runs = Math.max(50, Math.round(200_000 / batch));
  const prefix = `{"version":${JSON.stringify(c.version)},"results":`;
  let k = 0;
  const next = (): number => (k = (k + 1) & 15);
  const results: ClassifyResult[][] = parsed.map((f) => f.map((x) => c.classify(x as never)));

  // Warm every path before timing.
  for (let i = 0; i < 30; i++) {
    for (const f of parsed) {
      answerFlows(c, cached.of(c), f, metrics, 1, prefix, '}');
      answerFlows(c, uncached.of(c), f, metrics, 1, prefix, '}');
    }
  }

  const parseUs = medianUs(runs, () => {
    sink += (JSON.parse(bodies[next()]!) as { flows: unknown[] }).flows.length;
  });
  const classifyUs = medianUs(runs, () => {
    const f = parsed[next()]!;
    for (let i = 0; i < f.length; i++) sink += c.classify(f[i] as never) === null ? 1 : 0;
  });
  const serializeUs = medianUs(runs, () => {
    sink += assembleResults(results[next()]!, prefix, '}').length;
  });
  const stringifyUs = medianUs(runs, () => {
    sink += Buffer.from(`${prefix}${JSON.stringify(results[next()]!)}}`).length;
  });
  const strings = new Map<ClassifyResult, string>();
  const joinUs = medianUs(runs, () => {
    const r = results[next()]!;
    const p = new Array<string>(r.length);
    for (let i = 0; i < r.length; i++) {
      let s = strings.get(r[i]!);
      if (s === undefined) strings.set(r[i]!, (s = JSON.stringify(r[i])));
      p[i] = s;
    }
    sink += Buffer.from(`${prefix}[${p.join(',')}]}`).length;
  });
  // As the server does it: flows fresh from JSON.parse each time (reusing parsed objects would
  // flatter the classify and cache stages: warm strings, no garbage).
  const parseAnswerUs = medianUs(runs, () => {
    const f = (JSON.parse(bodies[next()]!) as { flows: unknown[] }).flows;
    sink += answerFlows(c, uncached.of(c), f, metrics, 1, prefix, '}').length;
  });
  const parseAnswerCachedUs = medianUs(runs, () => {
    const f = (JSON.parse(bodies[next()]!) as { flows: unknown[] }).flows;
    sink += answerFlows(c, cached.of(c), f, metrics, 1, prefix, '}').length;
  });
  const answerUs = parseAnswerUs - parseUs;
  const answerCachedUs = parseAnswerCachedUs - parseUs;
  const answerBytes = answerFlows(c, null, parsed[0]!, metrics, 1, prefix, '}').length;
  if (sink === -1) console.log(sink);
  return {
    batch,
    parseUs,
    classifyUs,
    serializeUs,
    stringifyUs,
    joinUs,
    answerUs,
    answerCachedUs,
    parseAnswerUs,
    parseAnswerCachedUs,
    requestBytes: Buffer.byteLength(bodies[0]!),
    answerBytes,
  };
}
