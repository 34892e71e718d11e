import { BAD_BYTES, BAD_JSON, NO_TARGET } from './bad-line.js';
import { resolveFields, type ColumnMap, type Field } from './column-map.js';
import { clean, parseBytes } from './delimited-parser.js';
import { NOT_PARSED, type RecordParser } from './flow-record.js';
import { parseLogTime } from './log-time.js';
import { PROTO_OTHER, protocolName, protocolOf } from './protocol.js';

/**
 * JSON lines, one object per line (generic logs, Zeek's JSON writer). Keys may differ from line
 * to line (optional keys are often left out), so each object's own keys are resolved, through a
 * cache of key name → field. `--map` entries with dots (`dst.ip=ip`) reach into nested objects;
 * a literal dotted key (Zeek's `id.resp_h`) is tried first.
 */

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return clean(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

const SINGLE: readonly Exclude<Field, 'bytes'>[] = ['ip', 'port', 'protocol', 'host', 'site', 'path', 'src', 'sport', 'time', 'end', 'uid', 'status'];

export function jsonlParser(map: ColumnMap, guess = true): RecordParser {
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
      const r = resolveFields([[key, 0]], flat, guess);
      f = null;
      for (const name of SINGLE) if (r[name] !== null) f = name;
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
      for (const f of SINGLE) values[f] = undefined;
      let bytes = 0;
      let hasBytes = false;
      const addBytes = (v: unknown): boolean => {
        // Zeek leaves unset counts out; others may write null or '-'.
        if (v === null || v === '-') return true;
        const b = parseBytes(v);
        if (b < 0) return false;
        bytes += b;
        hasBytes = true;
        return true;
      };
      for (const key in obj) {
        const f = fieldOf(key);
        if (f === null) continue;
        const v = obj[key];
        if (f === 'bytes') {
          if (hasBytes && !sumBytes) continue;
          if (!addBytes(v)) return BAD_BYTES;
        } else if (values[f] === undefined) {
          values[f] = v;
        }
      }
      for (const [column, path, f] of nested) {
        let v: unknown = obj[column];
        if (v === undefined) {
          v = obj;
          for (const k of path) v = isObject(v) ? v[k] : undefined;
        }
        if (v === undefined) continue;
        if (f === 'bytes') {
          if (!addBytes(v)) return BAD_BYTES;
        } else {
          values[f] = v;
        }
      }
      rec.ip = textOf(values.ip);
      rec.host = textOf(values.host);
      if (rec.host === '-') rec.host = undefined;
      if (rec.ip === undefined && rec.host === undefined) return NO_TARGET;
      const proto = protocolOf(values.protocol);
      rec.protocol = protocolName(proto);
      const port = values.port;
      const p = typeof port === 'number' ? port : textOf(port);
      rec.port = proto === PROTO_OTHER || p === 0 || p === '0' ? undefined : p;
      rec.bytes = bytes;
      rec.site = textOf(values.site) ?? '';
      rec.path = textOf(values.path) ?? '';
      rec.src = textOf(values.src);
      rec.ip4 = NOT_PARSED;
      rec.srcPending = undefined;
      rec.src4 = NOT_PARSED;
      const sp = values.sport;
      rec.sport = typeof sp === 'number' ? sp : Number(textOf(sp) ?? 0) || 0;
      rec.time = parseLogTime(textOf(values.time));
      rec.end = parseLogTime(textOf(values.end));
      rec.uid = textOf(values.uid);
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
