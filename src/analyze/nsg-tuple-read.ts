import { parseIPv4Range } from '../core/addresses.js';
import { BAD_TUPLE } from './bad-line.js';
import { NOT_PARSED, type FlowRecord } from './flow-record.js';
import { PROTO_OTHER, PROTO_TCP, PROTO_UDP, protocolAt, protocolName, protocolOf } from './protocol.js';

/**
 * Azure flow tuples read in place from the record's text (nsg-scan.ts found them), each into the
 * record as fill() of nsg-tuples.ts does from split cells, with the same answers. readTuple()
 * first tries one pass over the tuple as Azure writes it (digits, two IPv4 addresses, ports,
 * T or U or a protocol number, counts); anything else is read cell by cell (readTupleAt).
 */

/** Digits of s[from, to) as a number, or -1 (empty, or anything but digits, or too long). */
function digitsAt(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Number(s[from, to)), in place when it is plain digits. */
function numberAt(s: string, from: number, to: number): number {
  const d = digitsAt(s, from, to);
  return d >= 0 ? d : Number(s.slice(from, to));
}

/** count() of nsg-tuples.ts in place: empty is 0, a non-negative number, else -1. */
function countAt(s: string, from: number, to: number): number {
  if (to <= from) return 0;
  const n = numberAt(s, from, to);
  return Number.isFinite(n) && n >= 0 ? n : -1;
}

// The commas of the tuple being read: cell k is json[cuts[k] + 1, cuts[k + 1]).
const cuts = new Int32Array(16);
let cells = 0;
const cs = (k: number): number => cuts[k]! + 1;
const ce = (k: number): number => cuts[k + 1]!;

/**
 * One tuple, json[from, to), into `rec` as fill() of nsg-tuples.ts does from its split cells;
 * returns the state ('B', 'C', 'E', 'D' or '' for version 1), or BAD_TUPLE.
 */
export function readTupleAt(json: string, from: number, to: number, rec: FlowRecord, vnet: boolean): string {
  let n = 0;
  cuts[0] = from - 1;
  // Up to 13 commas: cells 0 to 12, the last one read, end where split(',') would end them.
  for (let i = from; i < to && n < 13; i++) if (json.charCodeAt(i) === 44) cuts[++n] = i;
  cells = n + 1;
  cuts[++n] = to;
  if (cells < 8) return BAD_TUPLE;
  const s = cs;
  const e = ce;
  const sk = vnet ? 7 : 8;
  let state = '';
  if (sk < cells) {
    const len = e(sk) - s(sk);
    if (len > 1) return BAD_TUPLE;
    if (len === 1) {
      state = json[s(sk)]!;
      if (state !== 'B' && state !== 'C' && state !== 'E' && state !== 'D') return BAD_TUPLE;
    }
  }
  const ts = numberAt(json, s(0), e(0));
  rec.time = vnet ? ts / 1000 : ts;
  rec.end = rec.time;
  rec.src4 = parseIPv4Range(json, s(1), e(1));
  if (rec.src4 < 0) rec.src4 = NOT_PARSED;
  rec.src = rec.src4 >= 0 || e(1) === s(1) ? undefined : json.slice(s(1), e(1));
  rec.srcPending = undefined;
  rec.ip = e(2) === s(2) ? undefined : json.slice(s(2), e(2));
  rec.ip4 = rec.ip === undefined ? NOT_PARSED : parseIPv4Range(json, s(2), e(2));
  if (rec.ip4 < 0) rec.ip4 = NOT_PARSED;
  rec.sport = numberAt(json, s(3), e(3)) || 0;
  let p = protocolAt(json, s(5), e(5));
  if (p === PROTO_OTHER) p = protocolOf(json.slice(s(5), e(5)));
  rec.protocol = protocolName(p);
  const ps = s(4);
  const pe = e(4);
  const pd = digitsAt(json, ps, pe);
  // The port as its cell says it: a number when that is its one spelling, else the text.
  rec.port = p === PROTO_OTHER || pe === ps || (pe - ps === 1 && json.charCodeAt(ps) === 48) ? undefined : pd > 0 && json.charCodeAt(ps) !== 48 ? pd : json.slice(ps, pe);
  const out = cells > 10 ? countAt(json, s(10), e(10)) : 0;
  const back = cells > 12 ? countAt(json, s(12), e(12)) : 0;
  if (out < 0 || back < 0 || rec.ip === undefined || !Number.isFinite(ts)) return BAD_TUPLE;
  rec.bytes = out + back;
  rec.host = undefined;
  rec.site = '';
  rec.path = '';
  rec.uid = undefined;
  return state;
}

// One-pass reading: the position after the last cell read, -1 when a cell is not as expected.
let at = 0;

/** Digits up to the next comma (or to); -1 when none or anything else. */
function digitsTo(s: string, to: number): number {
  let n = 0;
  const from = at;
  let i = at;
  for (; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 44) break;
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  if (i === from || i - from > 15) return -1;
  at = i + 1;
  return n;
}

/** Strict dotted IPv4 up to the next comma (or `to`), as parseIPv4Range accepts it; -1 otherwise. */
function ipv4To(s: string, to: number): number {
  const c = s.indexOf(',', at);
  const end = c < 0 || c > to ? to : c;
  const v = parseIPv4Range(s, at, end);
  if (v >= 0) at = end + 1;
  return v;
}

/** Skips one cell. */
function skipTo(s: string, to: number): void {
  const c = s.indexOf(',', at);
  at = c < 0 || c >= to ? to + 1 : c + 1;
}

/** A count cell: empty is 0; digits; -1 for anything else (then the tuple is read cell by cell). */
function countTo(s: string, to: number): number {
  if (at > to) return 0;
  if (at === to || s.charCodeAt(at) === 44) {
    at++;
    return 0;
  }
  return digitsTo(s, to);
}

/** readTupleAt for a tuple as Azure writes it, or null when it is not (then readTupleAt decides). */
function readTupleFast(s: string, from: number, to: number, rec: FlowRecord, vnet: boolean): string | null {
  at = from;
  const ts = digitsTo(s, to);
  const src = ts < 0 ? -1 : ipv4To(s, to);
  const dst = src < 0 ? -1 : ipv4To(s, to);
  if (dst < 0) return null;
  const sport = digitsTo(s, to);
  const portAt = at;
  const port = sport < 0 ? -1 : digitsTo(s, to);
  // The port's one spelling: no leading zero (0 itself is no port: the general way).
  if (port <= 0 || s.charCodeAt(portAt) === 48) return null;
  const pc = s.charCodeAt(at);
  let proto: number;
  if (s.charCodeAt(at + 1) === 44 && (pc === 84 || pc === 116 || pc === 54)) proto = PROTO_TCP;
  else if (s.charCodeAt(at + 1) === 44 && (pc === 85 || pc === 117)) proto = PROTO_UDP;
  else if (pc === 49 && s.charCodeAt(at + 1) === 55 && s.charCodeAt(at + 2) === 44) proto = PROTO_UDP;
  else return null;
  at += proto === PROTO_UDP && pc === 49 ? 3 : 2;
  skipTo(s, to); // direction
  // Fewer than 8 cells: the general way names the fault.
  if (at > to) return null;
  let state = '';
  // NSG: action, then state; VNet: state, then encryption. Version 1 ends after the action.
  if (!vnet) skipTo(s, to);
  if (at <= to) {
    const c = s.charCodeAt(at);
    if (c === 66 || c === 67 || c === 69 || c === 68) {
      if (at + 1 < to && s.charCodeAt(at + 1) !== 44) return null;
      state = c === 66 ? 'B' : c === 67 ? 'C' : c === 69 ? 'E' : 'D';
      at += 2;
    } else if (c === 44) at++;
    else if (at !== to) return null;
    else at++;
  }
  if (vnet) skipTo(s, to); // encryption
  skipTo(s, to); // packets out
  const out = countTo(s, to);
  skipTo(s, to); // packets in
  const back = out < 0 ? -1 : countTo(s, to);
  if (back < 0) return null;
  rec.time = vnet ? ts / 1000 : ts;
  rec.end = rec.time;
  rec.src4 = src;
  rec.srcPending = undefined;
  rec.src = undefined;
  rec.ip4 = dst;
  rec.ip = undefined;
  rec.sport = sport;
  rec.protocol = protocolName(proto);
  rec.port = port;
  rec.bytes = out + back;
  rec.host = undefined;
  rec.site = '';
  rec.path = '';
  rec.uid = undefined;
  return state;
}

/** One tuple, json[from, to), into `rec`; returns its state ('B', 'C', 'E', 'D', '' for version 1) or BAD_TUPLE. */
export function readTuple(json: string, from: number, to: number, rec: FlowRecord, vnet: boolean): string {
  return readTupleFast(json, from, to, rec, vnet) ?? readTupleAt(json, from, to, rec, vnet);
}
