import type { Classifier } from '../match/classifier.js';
import { Aggregator, type AnalyzeLimits } from './aggregate.js';
import type { ColumnMap } from './column-map.js';
import { ConnectionStage } from './connection-joiner.js';
import { DEFAULT_INTERNAL, InternalNets } from './internal-nets.js';
import type { KnownFormat, LogFormat } from './log-formats.js';
import type { LogInput, OpenedLog } from './open-input.js';
import { readInput } from './read-input.js';
import { sniffFile } from './sniff-format.js';
import { SniJoin } from './sni-join.js';
import { summarize } from './summarize.js';
import type { InputSummary, Summary } from './summary.js';

/**
 * Reads flow logs, classifies each connection and counts it: the inputs in order (ssl.log
 * before conn.log when both are given), then the connections still open.
 */

export type { LogFormat } from './log-formats.js';

export interface AnalyzeProgress {
  /** Raw bytes read over all inputs (compressed bytes for gzip). */
  bytesRead: number;
  /** Sum of the input sizes; null when one is a pipe. */
  bytesTotal: number | null;
  lines: number;
  records: number;
  badLines: number;
  file: string;
  done: boolean;
}

export interface AnalyzeOptions {
  classifier: Classifier;
  format?: LogFormat;
  map?: ColumnMap;
  limits?: Partial<AnalyzeLimits>;
  /** Internal networks (CIDR); default RFC 1918, 100.64.0.0/10, loopback, link-local, fc00::/7. */
  internal?: readonly string[];
  /** Seconds within which a reply or continuation joins its connection (default 120; Azure tuples at least 900). */
  joinWindow?: number;
  /** Connections held open at most (default 100,000). */
  joinCapacity?: number;
  /** Called every `progressEvery` lines and once at the end. */
  onProgress?: (p: AnalyzeProgress) => void;
  progressEvery?: number;
  now?: () => number;
}

export const DEFAULT_JOIN_WINDOW = 120;
export const AZURE_MIN_WINDOW = 900;
export const DEFAULT_JOIN_CAPACITY = 100_000;

export async function analyzeLogs(inputs: readonly LogInput[], options: AnalyzeOptions): Promise<Summary> {
  const agg = new Aggregator(options.classifier, options.limits);
  const nets = new InternalNets(options.internal ?? DEFAULT_INTERNAL);
  const window = options.joinWindow ?? DEFAULT_JOIN_WINDOW;
  const stage = new ConnectionStage(agg, nets, { window, capacity: options.joinCapacity ?? DEFAULT_JOIN_CAPACITY });
  const format = options.format ?? 'auto';
  const every = options.progressEvery ?? 16384;
  const onProgress = options.onProgress;
  const sizes = inputs.map((i) => i.size);
  const bytesTotal = sizes.every((s) => s !== null) ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : null;

  const sniffed: Array<KnownFormat | null> = inputs.map((i) => (i.path !== null && format === 'auto' ? sniffFile(i.path) : null));
  const joinZeek = sniffed.includes('zeek-conn') && sniffed.includes('zeek-ssl');
  const sni = joinZeek ? new SniJoin() : null;
  // ssl.log first, so that conn.log's records find their names; otherwise the order given.
  const order = inputs.map((input, i) => ({ input, sniffed: sniffed[i] ?? null, i }));
  if (joinZeek) order.sort((a, b) => Number(b.sniffed === 'zeek-ssl') - Number(a.sniffed === 'zeek-ssl') || a.i - b.i);

  let bytesBefore = 0;
  let lines = 0;
  let records = 0;
  let current: LogInput | null = null;
  let opened: OpenedLog | null = null;
  const report = (done: boolean): void => {
    if (current === null) return;
    onProgress?.({ bytesRead: bytesBefore + (opened?.bytesRead() ?? 0), bytesTotal, lines, records, badLines: agg.badLines, file: current.name, done });
  };
  const tick = (input: LogInput, o: OpenedLog): void => {
    current = input;
    opened = o;
    if (++lines % every === 0) report(false);
  };
  const ctx = { agg, stage, format, map: options.map ?? new Map(), sni, azureWindow: Math.max(window, AZURE_MIN_WINDOW), tick };
  const summaries: InputSummary[] = new Array<InputSummary>(inputs.length);
  for (const { input, sniffed: f, i } of order) {
    const s = await readInput(input, f, ctx);
    summaries[i] = s;
    records += s.records;
    current = input;
    if (s.fields.bytes) agg.hasBytes = true;
    report(false);
    bytesBefore += opened === null ? 0 : (opened as OpenedLog).bytesRead();
    opened = null;
  }
  stage.flush();
  if (current !== null) report(true);
  const now = options.now ?? Date.now;
  return summarize(agg, {
    generatedAt: new Date(now()).toISOString(),
    inputs: summaries,
    lines: summaries.reduce((a, x) => a + x.lines, 0),
    records,
    internal: nets.cidrs,
    join: { window, joined: stage.joined, sniMatched: sni?.matched ?? 0, sniUnmatched: sni?.unmatched ?? 0, sniDropped: sni?.dropped ?? 0 },
    internalDestinations: stage.internalDest,
  });
}
