import { BAD_JSON, BAD_TUPLE } from './bad-line.js';
import { NOT_PARSED, type FlowRecord } from './flow-record.js';
import { scanRecord } from './nsg-scan.js';
import { readTuple } from './nsg-tuple-read.js';
import { PROTO_OTHER, protocolName, protocolOf } from './protocol.js';

/**
 * Azure flow-log records into flow records. Two documents, by Azure's published schemas:
 * - NSG flow logs: `properties.flows[].flows[].flowTuples[]`; version 1 tuples are
 *   `ts,src,dst,sport,dport,T|U,I|O,A|D`, version 2 adds `,B|C|E,packetsOut,bytesOut,packetsIn,bytesIn`.
 * - VNet flow logs: `flowRecords.flows[].flowGroups[].flowTuples[]`, each
 *   `ts(ms),src,dst,sport,dport,protocol number,I|O,B|C|E|D,encryption,packetsOut,bytesOut,packetsIn,bytesIn`.
 * B opens a connection (no counts yet), C carries counts so far in an interval, E closes it with
 * the last counts, D is a denied attempt.
 */

export type TupleState = 'B' | 'C' | 'E' | 'D' | '';

export interface TupleSink {
  /** One tuple as a record, with its state ('' for version 1, which has none). */
  tuple(rec: FlowRecord, state: TupleState): void;
  bad(reason: string, text: string): void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Numbers of a tuple's count cells; empty (a B tuple) is 0. */
function count(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : -1;
}

function fill(rec: FlowRecord, cells: string[], proto: string, vnet: boolean): TupleState | null {
  const state = (vnet ? cells[7] : cells[8]) ?? '';
  if (cells.length < 8 || (state !== '' && state !== 'B' && state !== 'C' && state !== 'E' && state !== 'D')) return null;
  const ts = Number(cells[0]);
  rec.time = vnet ? ts / 1000 : ts;
  rec.end = rec.time;
  rec.src = cells[1] || undefined;
  rec.ip = cells[2] || undefined;
  rec.src4 = NOT_PARSED;
  rec.srcPending = undefined;
  rec.ip4 = NOT_PARSED;
  rec.sport = Number(cells[3]) || 0;
  const p = protocolOf(proto);
  rec.protocol = protocolName(p);
  rec.port = p === PROTO_OTHER || cells[4] === '0' || cells[4] === '' ? undefined : cells[4];
  const out = count(vnet ? cells[10] : cells[10]);
  const back = count(vnet ? cells[12] : cells[12]);
  if (out < 0 || back < 0 || rec.ip === undefined || !Number.isFinite(ts)) return null;
  rec.bytes = out + back;
  rec.host = undefined;
  rec.site = '';
  rec.path = '';
  rec.uid = undefined;
  return state as TupleState;
}

/**
 * Reads one record of either document and hands its tuples to `sink`: in place where the record
 * allows (nsg-scan.ts), else the general way (`fast` false: always; the tests compare the two).
 */
export function readAzureRecord(json: string, rec: FlowRecord, sink: TupleSink, fast = true): void {
  const scan = fast ? scanRecord(json) : null;
  if (scan !== null) {
    for (let i = 0; i < scan.count; i++) {
      const from = scan.ranges[2 * i]!;
      const to = scan.ranges[2 * i + 1]!;
      const state = readTuple(json, from, to, rec, scan.vnet);
      if (state === BAD_TUPLE) sink.bad(BAD_TUPLE, json.slice(from, to));
      else sink.tuple(rec, state as TupleState);
    }
    return;
  }
  let r: unknown;
  try {
    r = JSON.parse(json);
  } catch {
    sink.bad(BAD_JSON, json);
    return;
  }
  if (!isObj(r)) {
    sink.bad(BAD_JSON, json);
    return;
  }
  const vnet = isObj(r['flowRecords']);
  const groups: unknown[] = vnet
    ? list((r['flowRecords'] as Obj)['flows']).flatMap((f) => (isObj(f) ? list(f['flowGroups']) : []))
    : list(isObj(r['properties']) ? (r['properties'] as Obj)['flows'] : undefined).flatMap((f) => (isObj(f) ? list(f['flows']) : []));
  for (const g of groups) {
    if (!isObj(g)) continue;
    for (const t of list(g['flowTuples'])) {
      if (typeof t !== 'string') {
        sink.bad(BAD_TUPLE, JSON.stringify(t) ?? '');
        continue;
      }
      const cells = t.split(',');
      const state = fill(rec, cells, cells[5] ?? '', vnet);
      if (state === null) sink.bad(BAD_TUPLE, t);
      else sink.tuple(rec, state);
    }
  }
}
