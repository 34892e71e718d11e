import { BAD_BYTES, BAD_CSV, NO_TARGET, SHORT_LINE, type ReaderReason } from './bad-line.js';
import { resolveFields, type ColumnMap, type FieldSources } from './column-map.js';
import { holdsAt, splitCsvLine } from './csv-line.js';
import { NOT_PARSED, SKIP, type FlowRecord, type LogFields, type RecordParser } from './flow-record.js';
import { parseIPv4Range } from '../core/addresses.js';
import { parseLogTime, parseLogTimeAt } from './log-time.js';
import { PROTO_OTHER, protocolAt, protocolName, protocolOf } from './protocol.js';

/**
 * Delimited lines (CSV with a header, Zeek TSV, AWS's space-separated records, nfdump and PAN-OS
 * CSV) into flow records. The column names come from a header line or from the format's
 * published field order; `map` says which column is which field.
 */

export interface DelimitedOptions {
  /** Guess fields from common column names (generic CSV); false for a known format. */
  readonly guess: boolean;
  /** Cell values that mean "not set" (Zeek's `-` and `(empty)`, AWS's `-`): unknown, never bad. */
  readonly unset: readonly string[];
  /** Given the status column's value, true when the line holds no flow (AWS NODATA, a PAN-OS THREAT line). */
  readonly skipStatus?: (status: string) => boolean;
  /** Leave an IPv4 destination parsed in place as a number only (formats whose records are joined). */
  readonly lazyDest?: boolean;
  /** The status nearly every line has (AWS `OK`, PAN-OS `TRAFFIC`): compared in place, kept without a look at skipStatus. */
  readonly keepStatus?: string;
}

export const GENERIC: DelimitedOptions = { guess: true, unset: [] };

/** A decimal integer in line[s..e), or -1 when it is not only digits (or longer than 15 digits). */
function digitsAt(line: string, s: number, e: number): number {
  if (e - s > 15 || e === s) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Trims ASCII blanks only when there are any (the common case costs two char reads). */
export function clean(v: string | undefined): string | undefined {
  if (v === undefined || v.length === 0) return undefined;
  if (v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32) return v;
  const t = v.trim();
  return t.length === 0 ? undefined : t;
}

/** A byte count: non-negative decimal integer or number; 0 when empty; -1 when invalid. */
export function parseBytes(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : -1;
  if (typeof v !== 'string') return -1;
  const s = clean(v);
  if (s === undefined) return 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) {
      const f = Number(s);
      return Number.isFinite(f) && f >= 0 ? Math.round(f) : -1;
    }
    n = n * 10 + c;
  }
  return n;
}

export function fieldsOf<K>(src: FieldSources<K>): LogFields {
  return {
    ip: src.ip !== null,
    host: src.host !== null,
    port: src.port !== null,
    protocol: src.protocol !== null,
    bytes: src.bytes.length > 0,
    site: src.site !== null,
    path: src.path !== null,
  };
}

export function delimitedParser(names: readonly string[], delim: string, map: ColumnMap, opts: DelimitedOptions = GENERIC): RecordParser {
  const src: FieldSources<number> = resolveFields(
    names.map((n, i) => [n.trim(), i] as const),
    map,
    opts.guess,
  );
  const cols = [src.ip, src.port, src.protocol, src.host, src.site, src.path, src.src, src.sport, src.time, src.end, src.uid, src.status, ...src.bytes];
  const needed = Math.max(-1, ...cols.map((c) => c ?? -1)) + 1;
  const fields = fieldsOf(src);
  const { ip, host, port, protocol, site, path, sport, time, end, uid, status } = src;
  const srcCol = src.src;
  const bytesCols = src.bytes;
  const unset = new Set(opts.unset);
  const hasUnset = unset.size > 0;
  const skipStatus = opts.skipStatus;
  const keepStatus = opts.keepStatus ?? null;
  const lazyDest = opts.lazyDest === true;
  // Cell boundaries of the current line: only the cells a field needs are ever sliced out.
  const starts = new Int32Array(needed);
  const ends = new Int32Array(needed);
  let cells: readonly string[] | null = null;

  /** Cell c of the current line, trimmed; undefined when empty or unset. */
  const cellText = (line: string, c: number): string | undefined => {
    let v: string | undefined;
    if (cells !== null) {
      v = clean(cells[c]);
    } else {
      let s = starts[c]!;
      let e = ends[c]!;
      if (s === e) return undefined;
      // Nearly every cell has no blanks around it: two reads, one slice.
      if (line.charCodeAt(s) <= 32 || line.charCodeAt(e - 1) <= 32) {
        while (s < e && line.charCodeAt(s) <= 32) s++;
        while (e > s && line.charCodeAt(e - 1) <= 32) e--;
        if (s === e) return undefined;
      }
      v = line.slice(s, e);
    }
    return hasUnset && v !== undefined && v.length <= 7 && unset.has(v) ? undefined : v;
  };

  /** A number cell without slicing when it is plain digits; -1 when it is not a number, -2 when unset or empty. */
  const numberAt = (line: string, c: number): number => {
    if (cells === null) {
      const d = digitsAt(line, starts[c]!, ends[c]!);
      if (d >= 0) return d;
    }
    const t = cellText(line, c);
    if (t === undefined) return -2;
    return parseBytes(t);
  };

  /** Time of cell c: in place when the spelling allows, else through the general reader. */
  const timeAt = (line: string, c: number): number => {
    if (cells === null) {
      const t = parseLogTimeAt(line, starts[c]!, ends[c]!);
      if (!Number.isNaN(t)) return t;
    }
    return parseLogTime(cellText(line, c));
  };

  /** IPv4 of cell c as uint32, parsed in place; NOT_PARSED when the cell needs its text read. */
  const ipv4At = (line: string, c: number | null): number => {
    if (c === null || cells !== null) return NOT_PARSED;
    const v = parseIPv4Range(line, starts[c]!, ends[c]!);
    return v >= 0 ? v : NOT_PARSED;
  };

  /** A cell cellText would return as it stands: not quoted, not empty, no blanks around it, not unset. */
  const plainCell = (line: string, c: number): boolean => {
    if (cells !== null) return false;
    const s = starts[c]!;
    const e = ends[c]!;
    if (e === s || line.charCodeAt(s) <= 32 || line.charCodeAt(e - 1) <= 32) return false;
    if (hasUnset && e - s <= 7) for (const u of unset) if (u.length === e - s && holdsAt(line, s, u)) return false;
    return true;
  };

  // The line whose source is pending; a record is used up before the next line is parsed.
  let current = '';
  const readSource = (rec: FlowRecord): void => {
    const c = srcCol!;
    const v = parseIPv4Range(current, starts[c]!, ends[c]!);
    rec.src4 = v >= 0 ? v : NOT_PARSED;
    rec.src = v >= 0 ? undefined : current.slice(starts[c]!, ends[c]!);
  };

  const fill = (line: string, rec: FlowRecord): ReaderReason | typeof SKIP | null => {
    if (skipStatus !== undefined && status !== null) {
      const kept = keepStatus !== null && cells === null && ends[status]! - starts[status]! === keepStatus.length && holdsAt(line, starts[status]!, keepStatus);
      if (!kept && skipStatus(cellText(line, status) ?? '')) return SKIP;
    }
    // An IPv4 destination stays a number (destText() makes its text if needed): the engine takes
    // it as is (classifyBinary), so the address is parsed once, not again from text (CSV bench:
    // parseIPv4Range was 3.6% of the time, twice per line).
    const ip4 = ipv4At(line, ip);
    const ipText = ip === null || ip4 >= 0 ? undefined : cellText(line, ip);
    const hostText = host === null ? undefined : cellText(line, host);
    if (ipText === undefined && hostText === undefined && ip4 < 0) return NO_TARGET;
    rec.ip = ipText;
    rec.host = hostText;
    let proto = 0;
    if (protocol !== null) {
      proto = cells === null ? protocolAt(line, starts[protocol]!, ends[protocol]!) : PROTO_OTHER;
      // Blanks around the value or another spelling: look again at the text.
      if (proto === PROTO_OTHER) proto = protocolOf(cellText(line, protocol));
    }
    rec.protocol = protocolName(proto);
    let portValue: string | number | undefined;
    if (port !== null && proto !== PROTO_OTHER) {
      const v = cells === null ? digitsAt(line, starts[port]!, ends[port]!) : -1;
      // Exporters write 0 when a flow has no port.
      portValue = v > 0 ? v : v === 0 ? undefined : cellText(line, port);
      if (portValue === '0') portValue = undefined;
    }
    rec.port = portValue;
    let bytes = 0;
    for (let i = 0; i < bytesCols.length; i++) {
      const b = numberAt(line, bytesCols[i]!);
      if (b === -1) return BAD_BYTES;
      if (b > 0) bytes += b;
    }
    rec.bytes = bytes;
    rec.site = site === null ? '' : (cellText(line, site) ?? '');
    rec.path = path === null ? '' : (cellText(line, path) ?? '');
    rec.ip4 = ip4;
    // An IPv4 source parsed in place needs no text unless the record is turned (sourceText()).
    rec.srcPending = undefined;
    if (srcCol !== null && !lazyDest && plainCell(line, srcCol)) {
      // Read only if the record is turned: most are not (an external destination stays one).
      current = line;
      rec.srcPending = readSource;
      rec.src4 = NOT_PARSED;
      rec.src = undefined;
    } else {
      rec.src4 = ipv4At(line, srcCol);
      rec.src = srcCol === null || rec.src4 >= 0 ? undefined : cellText(line, srcCol);
    }
    rec.sport = sport === null ? 0 : Math.max(0, numberAt(line, sport));
    rec.time = time === null ? NaN : timeAt(line, time);
    rec.end = end === null ? NaN : timeAt(line, end);
    rec.uid = uid === null ? undefined : cellText(line, uid);
    return null;
  };

  return {
    fields: () => fields,
    parse(line, rec) {
      // Lines whose needed cells are not quoted, nearly all of them: one indexOf per needed cell, no array.
      const n = line.length;
      let start = 0;
      let quoted = false;
      for (let c = 0; c < needed; c++) {
        if (start > n) return SHORT_LINE;
        if (line.charCodeAt(start) === 34) {
          quoted = true;
          break;
        }
        let d = line.indexOf(delim, start);
        if (d < 0) d = n;
        starts[c] = start;
        ends[c] = d;
        start = d + 1;
      }
      if (!quoted) return fill(line, rec);
      const split = splitCsvLine(line, delim);
      if (split === null) return BAD_CSV;
      if (split.length < needed) return SHORT_LINE;
      cells = split;
      try {
        return fill(line, rec);
      } finally {
        cells = null;
      }
    },
  };
}
