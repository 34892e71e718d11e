import { formatIPv4 } from '../core/addresses.js';
import type { ReaderReason } from './bad-line.js';

/**
 * One log record as the readers hand it on. One mutable record is reused for every line: the
 * readers allocate only the cells they slice out, so gigabytes of log cost no garbage beyond
 * the lines.
 */
export interface FlowRecord {
  /**
   * Destination address as the log has it (the joiner may swap it with `src`). A reader that
   * parsed an IPv4 destination in place may leave this undefined and set `ip4` (read it with
   * destText()).
   */
  ip: string | undefined;
  host: string | undefined;
  /** A decimal string or number as the log had it; undefined when absent or 0 (no port). */
  port: string | number | undefined;
  protocol: 'tcp' | 'udp' | undefined;
  bytes: number;
  /** '' when the log has no site. */
  site: string;
  /** As the log has it (the aggregator compares it case-insensitively); '' when the log does not say. */
  path: string;
  /**
   * Source address, when the format has one: the endpoint that is not internal is the Microsoft
   * side. A reader that parsed an IPv4 source in place may leave this undefined and set `src4`
   * (read it with sourceText()).
   */
  src: string | undefined;
  /**
   * Set when the record has a source the reader has not read yet (most records never need it:
   * resolveSource() reads it into `src`/`src4`). Valid until the reader's next record.
   */
  srcPending: ((rec: FlowRecord) => void) | undefined;
  /** `ip` and `src` as IPv4 uint32 when the reader parsed them in place; NOT_PARSED when it did not, -1 when not IPv4. */
  ip4: number;
  src4: number;
  /** Source port; 0 when unknown. */
  sport: number;
  /** First and last seen, Unix seconds; NaN when the log does not say. Only the joiner reads them. */
  time: number;
  end: number;
  /** Zeek's connection uid (joins ssl.log to conn.log). */
  uid: string | undefined;
}

export function emptyRecord(): FlowRecord {
  return { ip: undefined, host: undefined, port: undefined, protocol: undefined, bytes: 0, site: '', path: '', src: undefined, srcPending: undefined, ip4: NOT_PARSED, src4: NOT_PARSED, sport: 0, time: NaN, end: NaN, uid: undefined };
}

export const NOT_PARSED = -2;

/** Whether the record names its destination address. */
export function hasDest(rec: FlowRecord): boolean {
  return rec.ip !== undefined || rec.ip4 >= 0;
}

/** The destination's text (formatted from `ip4` when the reader left it out). */
export function destText(rec: FlowRecord): string | undefined {
  if (rec.ip === undefined && rec.ip4 >= 0) rec.ip = formatIPv4(rec.ip4);
  return rec.ip;
}

/** Whether the record names its source. */
export function hasSource(rec: FlowRecord): boolean {
  return rec.src !== undefined || rec.src4 >= 0 || rec.srcPending !== undefined;
}

/** Reads a source the reader left pending. */
export function resolveSource(rec: FlowRecord): void {
  const f = rec.srcPending;
  if (f !== undefined) {
    rec.srcPending = undefined;
    f(rec);
  }
}

/** The source's text (formatted from `src4` when the reader left it out: the same text, IPv4 being parsed strictly). */
export function sourceText(rec: FlowRecord): string | undefined {
  resolveSource(rec);
  if (rec.src === undefined && rec.src4 >= 0) rec.src = formatIPv4(rec.src4);
  return rec.src;
}

/** Which fields a log carries, for the report (a log without bytes ranks by flows). */
export interface LogFields {
  readonly ip: boolean;
  readonly host: boolean;
  readonly port: boolean;
  readonly protocol: boolean;
  readonly bytes: boolean;
  readonly site: boolean;
  readonly path: boolean;
}

/** A line that is not a flow and not a fault: a NODATA row, a THREAT line in a syslog feed, a trailer. */
export const SKIP = 1;

export interface RecordParser {
  /** Fills `rec` from `line`; returns null when it did, SKIP for a line that holds no flow, else why the line is bad. */
  parse(line: string, rec: FlowRecord): ReaderReason | typeof SKIP | null;
  /** Fields this log has been seen to carry so far. */
  fields(): LogFields;
}
