import { createInterface } from 'node:readline';
import type { Classifier } from '../match/classifier.js';
import { Aggregator, type AnalyzeLimits } from './aggregate.js';
import type { ColumnMap } from './column-map.js';
import { detectDelimiter } from './csv-line.js';
import { openLog, type LogInput } from './open-input.js';
import { csvParser, emptyRecord, jsonlParser, type RecordParser } from './record-parser.js';
import type { InputSummary, Summary } from './summary.js';

/**
 * Reads flow logs line by line (node:readline over the byte stream, so memory holds one chunk and
 * one line at a time, never a whole file), classifies each record and counts it.
 */

export type LogFormat = 'auto' | 'csv' | 'jsonl';

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
  /** Called every `progressEvery` lines and once at the end. */
  onProgress?: (p: AnalyzeProgress) => void;
  progressEvery?: number;
  now?: () => number;
}

const BOM = 0xfeff;

export async function analyzeLogs(inputs: readonly LogInput[], options: AnalyzeOptions): Promise<Summary> {
  const agg = new Aggregator(options.classifier, options.limits);
  const map: ColumnMap = options.map ?? new Map();
  const format = options.format ?? 'auto';
  const every = options.progressEvery ?? 16384;
  const onProgress = options.onProgress;
  const sizes = inputs.map((i) => i.size);
  const bytesTotal = sizes.every((s) => s !== null) ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : null;
  let bytesBefore = 0;
  let lines = 0;
  const summaries: InputSummary[] = [];

  for (const input of inputs) {
    const opened = await openLog(input);
    const stream = opened.stream;
    const s: InputSummary = {
      name: input.name,
      format: 'empty',
      gzip: opened.gzip,
      lines: 0,
      records: 0,
      badLines: 0,
      fields: { ip: false, host: false, port: false, protocol: false, bytes: false, site: false, path: false },
      error: null,
    };
    summaries.push(s);
    let parser: RecordParser | null = null;
    let header: string | null = null;
    const rec = emptyRecord();
    const recordsBefore = agg.records;
    const badBefore = agg.badLines;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    const report = (done: boolean): void => {
      onProgress?.({
        bytesRead: bytesBefore + opened.bytesRead(),
        bytesTotal,
        lines,
        records: agg.records,
        badLines: agg.badLines,
        file: input.name,
        done,
      });
    };
    const stop = (why: string): void => {
      if (s.error === null) s.error = why;
      rl.close();
      stream.destroy();
    };
    // readline re-emits its input's errors on itself; both ends stop this input, not the run.
    stream.on('error', (err) => stop(err.message));
    rl.on('error', (err) => stop(err.message));

    let lineNo = 0;
    rl.on('line', (raw) => {
      lineNo++;
      lines++;
      if (lines % every === 0) report(false);
      if (s.error !== null) return;
      const line = lineNo === 1 && raw.charCodeAt(0) === BOM ? raw.slice(1) : raw;
      if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0)) return;
      if (parser === null) {
        const isJson = format === 'jsonl' || (format === 'auto' && line.trimStart().startsWith('{'));
        if (isJson) {
          parser = jsonlParser(map);
          s.format = 'jsonl';
        } else {
          header = line;
          parser = csvParser(line, detectDelimiter(line), map);
          s.format = 'csv';
          const f = parser.fields();
          if (!f.ip && !f.host) {
            stop(`the header names no destination address or host column (${line.slice(0, 120)}); name one with --map COLUMN=ip or COLUMN=host`);
          }
          return;
        }
      }
      // Concatenated CSV logs repeat their header.
      if (line === header) return;
      const reason = parser.parse(line, rec);
      if (reason !== null) {
        agg.bad(input.name, lineNo, reason, line);
        return;
      }
      const err = agg.add(rec);
      if (err !== null) agg.bad(input.name, lineNo, err, line);
    });
    await new Promise<void>((resolve) => rl.once('close', resolve));
    s.lines = lineNo;
    s.records = agg.records - recordsBefore;
    s.badLines = agg.badLines - badBefore;
    if (parser !== null) s.fields = (parser as RecordParser).fields();
    if (s.fields.bytes) agg.hasBytes = true;
    report(input === inputs[inputs.length - 1]);
    bytesBefore += opened.bytesRead();
  }
  const now = options.now ?? Date.now;
  // Spelled out so that summary.json reads top-down: what, when, from which data and logs, then counts.
  const { format: f, formatVersion, data, ...counts } = agg.summarize();
  return { format: f, formatVersion, generatedAt: new Date(now()).toISOString(), data, inputs: summaries, lines, ...counts };
}
