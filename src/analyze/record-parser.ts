import { BAD_BYTES, BAD_CSV, BAD_JSON, NO_TARGET, SHORT_LINE, type ReaderReason } from './bad-line.js';
import { resolveFields, type ColumnMap, type Field, type FieldSources } from './column-map.js';
import { splitCsvLine } from './csv-line.js';

/**
 * Log lines into flow records. One mutable record is reused for every line: the reader
 * allocates only the cells it splits, so gigabytes of log cost no garbage beyond the lines.
 */

export interface FlowRecord {
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
}

export function emptyRecord(): FlowRecord {
  return { ip: undefined, host: undefined, port: undefined, protocol: undefined, bytes: 0, site: '', path: '' };
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

export interface RecordParser {
  /** Fills `rec` from `line`; returns null when it did, else why the line is bad. */
  parse(line: string, rec: FlowRecord): ReaderReason | null;
  /** Fields this log has been seen to carry so far. */
  fields(): LogFields;
}

/** Trims ASCII blanks only when there are any (the common case costs two char reads). */
function clean(v: string | undefined): string | undefined {
  if (v === undefined || v.length === 0) return undefined;
  if (v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32) return v;
  const t = v.trim();
  return t.length === 0 ? undefined : t;
}

const PROTO_OTHER = 3;
const QUOTED = 1;

/** tcp/udp in any case, or the IP protocol numbers 6 and 17; 0 absent, 1 tcp, 2 udp, 3 another protocol. */
function protocolOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  if (v === 'tcp' || v === 6 || v === '6') return 1;
  if (v === 'udp' || v === 17 || v === '17') return 2;
  if (typeof v === 'string') {
    const l = v.trim().toLowerCase();
    if (l === 'tcp') return 1;
    if (l === 'udp') return 2;
    if (l === '') return 0;
  }
  return PROTO_OTHER;
}

/** Sets protocol and port from a protocolOf code. Other protocols (ICMP, GRE, ESP...) have no port: classified by address. */
function setProtocolPort(rec: FlowRecord, proto: number, port: string | number | undefined): void {
  rec.protocol = proto === 1 ? 'tcp' : proto === 2 ? 'udp' : undefined;
  // Exporters write 0 when a flow has no port.
  rec.port = proto === PROTO_OTHER || port === 0 || port === '0' ? undefined : port;
}

/** protocolOf for line[s..e) without slicing it out. */
function protocolAt(line: string, s: number, e: number): number {
  const len = e - s;
  if (len === 0) return 0;
  if (len === 3) {
    // | 0x20 lower-cases ASCII letters.
    const a = line.charCodeAt(s) | 0x20;
    const b = line.charCodeAt(s + 1) | 0x20;
    const c = line.charCodeAt(s + 2) | 0x20;
    if (a === 116 && b === 99 && c === 112) return 1; // tcp
    if (a === 117 && b === 100 && c === 112) return 2; // udp
    return PROTO_OTHER;
  }
  if (len === 1 && line.charCodeAt(s) === 54) return 1; // 6
  if (len === 2 && line.charCodeAt(s) === 49 && line.charCodeAt(s + 1) === 55) return 2; // 17
  return PROTO_OTHER;
}

/** A decimal integer in line[s..e), or -1 when it is not only digits (or longer than 15 digits). */
function digitsAt(line: string, s: number, e: number): number {
  if (e - s > 15) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** A byte count: non-negative decimal integer or number; -1 when invalid. */
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

/** CSV with a header line; `header` is that line, `delim` its delimiter. */
export function csvParser(header: string, delim: string, map: ColumnMap): RecordParser {
  const names = splitCsvLine(header, delim) ?? header.split(delim);
  const src: FieldSources<number> = resolveFields(
    names.map((n, i) => [n.trim(), i] as const),
    map,
  );
  const needed = Math.max(-1, src.ip ?? -1, src.port ?? -1, src.protocol ?? -1, src.host ?? -1, src.site ?? -1, src.path ?? -1, ...src.bytes) + 1;
  const fields: LogFields = {
    ip: src.ip !== null,
    host: src.host !== null,
    port: src.port !== null,
    protocol: src.protocol !== null,
    bytes: src.bytes.length > 0,
    site: src.site !== null,
    path: src.path !== null,
  };
  const { ip, host, port, protocol, site, path } = src;
  const bytesCols = src.bytes;
  // Cell boundaries of the current line: only the cells a field needs are ever sliced out.
  const starts = new Int32Array(needed);
  const ends = new Int32Array(needed);

  /** Cell c of the current line, trimmed; undefined when empty. */
  const cellText = (line: string, c: number): string | undefined => {
    let s = starts[c]!;
    let e = ends[c]!;
    if (s === e) return undefined;
    // Nearly every cell has no blanks around it: two reads, one slice.
    if (line.charCodeAt(s) > 32 && line.charCodeAt(e - 1) > 32) return line.slice(s, e);
    while (s < e && line.charCodeAt(s) <= 32) s++;
    while (e > s && line.charCodeAt(e - 1) <= 32) e--;
    return s === e ? undefined : line.slice(s, e);
  };

  /**
   * Lines whose needed cells are not quoted, nearly all of them: one indexOf per needed cell, no
   * array. Returns QUOTED when a needed cell starts with a quote (the caller then splits properly).
   */
  const fromLine = (line: string, rec: FlowRecord): ReaderReason | typeof QUOTED | null => {
    const n = line.length;
    let start = 0;
    for (let c = 0; c < needed; c++) {
      if (start > n) return SHORT_LINE;
      if (line.charCodeAt(start) === 34) return QUOTED;
      let d = line.indexOf(delim, start);
      if (d < 0) d = n;
      starts[c] = start;
      ends[c] = d;
      start = d + 1;
    }
    const ipText = ip === null ? undefined : cellText(line, ip);
    const hostText = host === null ? undefined : cellText(line, host);
    if (ipText === undefined && hostText === undefined) return NO_TARGET;
    rec.ip = ipText;
    rec.host = hostText;
    let proto = 0;
    if (protocol !== null) {
      proto = protocolAt(line, starts[protocol]!, ends[protocol]!);
      // Blanks around the value: look again, trimmed.
      if (proto === PROTO_OTHER) proto = protocolOf(cellText(line, protocol));
    }
    rec.protocol = proto === 1 ? 'tcp' : proto === 2 ? 'udp' : undefined;
    let portValue: string | number | undefined;
    if (port !== null && proto !== PROTO_OTHER) {
      const s = starts[port]!;
      const e = ends[port]!;
      const v = s === e ? -1 : digitsAt(line, s, e);
      // Exporters write 0 when a flow has no port.
      portValue = v > 0 ? v : v === 0 ? undefined : cellText(line, port);
    }
    rec.port = portValue;
    let bytes = 0;
    for (let i = 0; i < bytesCols.length; i++) {
      const c = bytesCols[i]!;
      let b = starts[c] === ends[c] ? 0 : digitsAt(line, starts[c]!, ends[c]!);
      if (b < 0) b = parseBytes(cellText(line, c) ?? '');
      if (b < 0) return BAD_BYTES;
      bytes += b;
    }
    rec.bytes = bytes;
    rec.site = site === null ? '' : (cellText(line, site) ?? '');
    rec.path = path === null ? '' : (cellText(line, path) ?? '');
    return null;
  };

  const fromCells = (cells: readonly string[], rec: FlowRecord): ReaderReason | null => {
    rec.ip = ip === null ? undefined : clean(cells[ip]);
    rec.host = host === null ? undefined : clean(cells[host]);
    if (rec.ip === undefined && rec.host === undefined) return NO_TARGET;
    setProtocolPort(rec, protocol === null ? 0 : protocolOf(cells[protocol]), port === null ? undefined : clean(cells[port]));
    let bytes = 0;
    for (let i = 0; i < bytesCols.length; i++) {
      const b = parseBytes(cells[bytesCols[i]!]);
      if (b < 0) return BAD_BYTES;
      bytes += b;
    }
    rec.bytes = bytes;
    rec.site = site === null ? '' : (clean(cells[site]) ?? '');
    rec.path = path === null ? '' : (clean(cells[path]) ?? '');
    return null;
  };

  return {
    fields: () => fields,
    parse(line, rec) {
      const r = fromLine(line, rec);
      if (r !== QUOTED) return r;
      const cells = splitCsvLine(line, delim);
      if (cells === null) return BAD_CSV;
      if (cells.length < needed) return SHORT_LINE;
      return fromCells(cells, rec);
    },
  };
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return clean(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * JSON lines, one object per line. Keys may differ from line to line (optional keys are often
 * left out), so each object's own keys are resolved, through a cache of key name → field.
 * `--map` entries with dots (`dst.ip=ip`) reach into nested objects.
 */
export function jsonlParser(map: ColumnMap): RecordParser {
  const nested: Array<readonly [column: string, path: string[], field: Field]> = [];
  const flat = new Map<string, Field>();
  for (const [column, field] of map) {
    if (column.includes('.')) nested.push([column, column.split('.'), field]);
    else flat.set(column, field);
  }
  // key name → its field, or null when it is none; bounded because logs reuse a few key names.
  const cache = new Map<string, Field | null>();
  const CACHE_MAX = 4096;
  const seen = { ip: false, host: false, port: false, protocol: false, bytes: false, site: false, path: false };
  const values: Partial<Record<Field, unknown>> = {};
  // Mapped byte columns are summed; of unmapped ones only the first recognised key counts, as in CSV.
  const sumBytes = [...map.values()].includes('bytes');
  const fieldOf = (key: string): Field | null => {
    let f = cache.get(key);
    if (f === undefined) {
      const r = resolveFields([[key, 0]], flat);
      f = null;
      for (const name of ['ip', 'port', 'protocol', 'host', 'site', 'path'] as const) if (r[name] !== null) f = name;
      if (r.bytes.length > 0) f = 'bytes';
      if (cache.size < CACHE_MAX) cache.set(key, f);
    }
    return f;
  };
  return {
    fields: () => ({ ...seen }),
    parse(line, rec) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        return BAD_JSON;
      }
      if (!isObject(obj)) return BAD_JSON;
      values.ip = values.host = values.port = values.protocol = values.site = values.path = undefined;
      let bytes = 0;
      let hasBytes = false;
      for (const key in obj) {
        const f = fieldOf(key);
        if (f === null) continue;
        const v = obj[key];
        if (f === 'bytes') {
          if (hasBytes && !sumBytes) continue;
          const b = parseBytes(v);
          if (b < 0) return BAD_BYTES;
          bytes += b;
          hasBytes = true;
        } else if (values[f] === undefined) {
          values[f] = v;
        }
      }
      for (const [column, path, f] of nested) {
        // A literal dotted key first, then the path into nested objects.
        let v: unknown = obj[column];
        if (v === undefined) {
          v = obj;
          for (const k of path) v = isObject(v) ? v[k] : undefined;
        }
        if (v === undefined) continue;
        if (f === 'bytes') {
          const b = parseBytes(v);
          if (b < 0) return BAD_BYTES;
          bytes += b;
          hasBytes = true;
        } else {
          values[f] = v;
        }
      }
      rec.ip = textOf(values.ip);
      rec.host = textOf(values.host);
      if (rec.ip === undefined && rec.host === undefined) return NO_TARGET;
      const port = values.port;
      setProtocolPort(rec, protocolOf(values.protocol), typeof port === 'number' ? port : textOf(port));
      rec.bytes = bytes;
      rec.site = textOf(values.site) ?? '';
      rec.path = textOf(values.path) ?? '';
      if (rec.ip !== undefined) seen.ip = true;
      if (rec.host !== undefined) seen.host = true;
      if (values.port !== undefined) seen.port = true;
      if (values.protocol !== undefined) seen.protocol = true;
      if (hasBytes) seen.bytes = true;
      if (values.site !== undefined) seen.site = true;
      if (values.path !== undefined) seen.path = true;
      return null;
    },
  };
}
