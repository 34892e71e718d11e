import type { ReaderReason } from './bad-line.js';

/**
 * One log record as the readers hand it on. One mutable record is reused for every line: the
 * readers allocate only the cells they slice out, so gigabytes of log cost no garbage beyond
 * the lines.
 */
export interface FlowRecord {
  /** Destination address as the log has it (the joiner may swap it with `src`). */
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
  /** Source address, when the format has one: the endpoint that is not internal is the Microsoft side. */
  src: string | undefined;
  /** Source port; 0 when unknown. */
  sport: number;
  /** First and last seen, Unix seconds; NaN when the log does not say. Only the joiner reads them. */
  time: number;
  end: number;
  /** Zeek's connection uid (joins ssl.log to conn.log). */
  uid: string | undefined;
}

export function emptyRecord(): FlowRecord {
  return { ip: undefined, host: undefined, port: undefined, protocol: undefined, bytes: 0, site: '', path: '', src: undefined, sport: 0, time: NaN, end: NaN, uid: undefined };
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
