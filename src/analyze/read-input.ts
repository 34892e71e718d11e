import { StringDecoder } from 'node:string_decoder';
import type { Aggregator } from './aggregate.js';
import type { ColumnMap } from './column-map.js';
import { ConnectionStage, JOIN, JOIN_END, JOIN_NONE } from './connection-joiner.js';
import { emptyRecord, SKIP, sourceText, type RecordParser } from './flow-record.js';
import { detectFormat, lineParser, PER_DIRECTION, type KnownFormat, type LogFormat } from './log-formats.js';
import { readAzureRecord, type TupleState } from './nsg-tuples.js';
import { JsonRecordSplitter } from './json-records.js';
import { forEachLine } from './line-splitter.js';
import { openLog, type LogInput, type OpenedLog } from './open-input.js';
import type { SniJoin } from './sni-join.js';
import type { InputSummary } from './summary.js';
import { zeekTsvParser, type ZeekTsvParser } from './zeek-tsv.js';

/**
 * One input, read line by line (node:readline over the byte stream, so memory holds one chunk
 * and one line at a time) or, for an Azure document, piece by piece: its format told from its
 * first line, each record parsed, turned, joined and counted.
 */

export interface ReadContext {
  readonly agg: Aggregator;
  readonly stage: ConnectionStage;
  readonly format: LogFormat;
  readonly map: ColumnMap;
  /** Set when ssl.log and conn.log are read together. */
  readonly sni: SniJoin | null;
  /** Join window for Azure tuples (seconds): C tuples come minutes apart. */
  readonly azureWindow: number;
  /** Called for every line (progress). */
  readonly tick: (input: LogInput, opened: OpenedLog) => void;
}

const BOM = 0xfeff;

function newSummary(input: LogInput, gzip: boolean): InputSummary {
  return {
    name: input.name,
    file: input.name,
    format: 'empty',
    gzip,
    lines: 0,
    records: 0,
    skipped: 0,
    badLines: 0,
    fields: { ip: false, host: false, port: false, protocol: false, bytes: false, site: false, path: false },
    error: null,
  };
}

export async function readInput(input: LogInput, sniffed: KnownFormat | null, ctx: ReadContext): Promise<InputSummary> {
  const opened = await openLog(input);
  const s = newSummary(input, opened.gzip);
  const badBefore = ctx.agg.badLines;
  const known = ctx.format !== 'auto' ? ctx.format : sniffed;
  if (known === 'azure-nsg' && input.path !== null) await readAzurePieces(input, opened, s, ctx);
  else await readLines(input, opened, s, ctx);
  s.badLines = ctx.agg.badLines - badBefore;
  return s;
}

function azureSink(input: LogInput, s: InputSummary, ctx: ReadContext, lineOf: () => number) {
  const rec = emptyRecord();
  s.format = 'azure-nsg';
  s.fields = { ip: true, host: false, port: true, protocol: true, bytes: true, site: false, path: false };
  const sink = {
    tuple(r: typeof rec, state: TupleState): void {
      const join = state === '' ? JOIN_NONE : state === 'E' || state === 'D' ? JOIN_END : JOIN;
      const err = ctx.stage.push(r, join, input.name, lineOf(), ctx.azureWindow);
      if (err !== null) ctx.agg.bad(input.name, lineOf(), err, `${sourceText(r) ?? ''},${r.ip ?? ''},${r.sport},${r.port ?? ''}`);
      else s.records++;
    },
    bad(reason: string, text: string): void {
      ctx.agg.bad(input.name, lineOf(), reason, text);
    },
  };
  return (json: string): void => readAzureRecord(json, rec, sink);
}

/** An Azure document from a file: pieces, not lines (a blob is often one line of megabytes). Its "line" is the record's number. */
async function readAzurePieces(input: LogInput, opened: OpenedLog, s: InputSummary, ctx: ReadContext): Promise<void> {
  let n = 0;
  const onRecord = azureSink(input, s, ctx, () => n);
  const splitter = new JsonRecordSplitter((json) => {
    n++;
    onRecord(json);
  });
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of opened.stream) {
      splitter.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      ctx.tick(input, opened);
    }
    splitter.feed(decoder.end());
    if (splitter.incomplete) s.error = 'the JSON document ends inside a record';
  } catch (err) {
    s.error = err instanceof Error ? err.message : String(err);
  }
  s.lines = n;
}

async function readLines(input: LogInput, opened: OpenedLog, s: InputSummary, ctx: ReadContext): Promise<void> {
  const { agg, stage } = ctx;
  const stream = opened.stream;
  let parser: RecordParser | null = null;
  let zeek: ZeekTsvParser | null = null;
  let splitter: JsonRecordSplitter | null = null;
  let header: string | null = null;
  let join = JOIN_NONE;
  let sslOnly = false;
  let connJoin = false;
  const rec = emptyRecord();
  let stopped = false;
  const stop = (why: string): void => {
    if (s.error === null) s.error = why;
    stopped = true;
  };
  // An error stops this input, not the run.
  stream.on('error', (err) => stop(err.message));

  const setFormat = (f: KnownFormat): void => {
    s.format = f;
    join = PER_DIRECTION.has(f) ? JOIN : JOIN_NONE;
    sslOnly = f === 'zeek-ssl' && ctx.sni !== null;
    connJoin = f === 'zeek-conn' && ctx.sni !== null;
  };

  let lineNo = 0;
  const onLine = (raw: string): void => {
    lineNo++;
    ctx.tick(input, opened);
    if (s.error !== null) return;
    const line = lineNo === 1 && raw.charCodeAt(0) === BOM ? raw.slice(1) : raw;
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0)) return;
    if (splitter !== null) {
      splitter.feed(`${line}\n`);
      return;
    }
    if (parser === null) {
      const detected = detectFormat(line);
      let f: KnownFormat | 'zeek-tsv' = ctx.format === 'auto' ? detected : ctx.format;
      if (detected === 'zeek-tsv' && (f === 'zeek-conn' || f === 'zeek-ssl')) f = 'zeek-tsv';
      if (f === 'azure-nsg') {
        let n = 0;
        const onRecord = azureSink(input, s, ctx, () => n);
        splitter = new JsonRecordSplitter((json) => {
          n++;
          onRecord(json);
        });
        splitter.feed(`${line}\n`);
        return;
      }
      if (f === 'zeek-tsv') {
        zeek = zeekTsvParser(ctx.map);
        parser = zeek;
      } else {
        const lp = lineParser(f, line, ctx.map);
        parser = lp.parser;
        setFormat(f);
        if (lp.header) {
          header = line;
          const fields = parser.fields();
          if (f === 'csv' && !fields.ip && !fields.host) {
            stop(`the header names no destination address or host column (${line.slice(0, 120)}); name one with --map COLUMN=ip or COLUMN=host, or the format with --format`);
          }
          return;
        }
      }
    }
    // Concatenated logs repeat their header.
    if (line === header) return;
    const reason = parser.parse(line, rec);
    if (reason === SKIP) {
      if (zeek !== null && s.format === 'empty') {
        const k = zeek.kind();
        if (k !== null) setFormat(k);
      }
      s.skipped++;
      return;
    }
    if (reason !== null) {
      agg.bad(input.name, lineNo, reason, line);
      return;
    }
    if (sslOnly) {
      // ssl.log read beside conn.log: its names go to the conn records, it counts no flow itself.
      if (rec.uid !== undefined && rec.host !== undefined) ctx.sni!.add(rec.uid, rec.host);
      s.records++;
      return;
    }
    if (connJoin && rec.host === undefined && rec.uid !== undefined) rec.host = ctx.sni!.take(rec.uid);
    const err = stage.push(rec, join, input.name, lineNo);
    if (err !== null) agg.bad(input.name, lineNo, err, line);
    else s.records++;
  };
  try {
    await forEachLine(stream, onLine, () => stopped);
  } catch (err) {
    stop(err instanceof Error ? err.message : String(err));
  }
  // Leaving the loop early destroys the stream already; this covers an error's.
  stream.destroy();
  if (splitter !== null && (splitter as JsonRecordSplitter).incomplete && s.error === null) s.error = 'the JSON document ends inside a record';
  s.lines = lineNo;
  if (parser !== null) s.fields = (parser as RecordParser).fields();
  if (connJoin) s.fields = { ...s.fields, host: true };
  // A Zeek file with only header lines still names its kind.
  if (zeek !== null && s.format === 'empty') {
    const k = (zeek as ZeekTsvParser).kind();
    if (k !== null) s.format = k;
  }
}

export { ConnectionStage };
