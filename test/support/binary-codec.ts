/**
 * A client-side codec of the binary wire protocol, written from docs/binary-protocol.md alone and
 * sharing no code with src/serve/binary: tests and benches build request frames with it and read
 * answers back, so the server's encoder and decoder are checked against an independent reading
 * of the spec.
 */
import type { ClassifyResult, Flow } from '../../src/core/types.js';
import { parseIPv4, parseIPv6 } from './oracle.js';

/** One answer record, decoded. */
export interface AnswerRecord {
  readonly status: number;
  readonly category: number;
  readonly matchedBy: number;
  readonly flags: number;
  readonly setId: number;
  readonly error: number;
}

export interface DecodedFrame {
  readonly kind: number;
  readonly requestId: number;
  /** Answer frames: the data version; hello ok: the version too. */
  readonly version?: string;
  readonly records?: readonly AnswerRecord[];
  /** Error frames: the error number. */
  readonly error?: number;
}

/** One record's fields, as an appliance has them. Hosts must be ASCII. */
export interface WireRecord {
  /** 0 none, 4, 6; anything else is a bad record. */
  family: number;
  protocol: number;
  port: number;
  /** 4 bytes for IPv4, 16 for IPv6, ignored for family 0. */
  address: Uint8Array;
  host: string;
}

/** A valid JSON flow as a wire record. IPv6 text (mapped or not) is sent as family 6. */
export function recordOf(flow: Flow): WireRecord {
  let family = 0;
  let address = new Uint8Array(0);
  if (flow.ip !== undefined) {
    if (flow.ip.includes(':')) {
      const v = parseIPv6(flow.ip);
      if (v === null) throw new Error(`not an IPv6 address: ${flow.ip}`);
      family = 6;
      address = new Uint8Array(16);
      for (let i = 0; i < 16; i++) address[i] = Number((v >> BigInt(8 * (15 - i))) & 0xffn);
    } else {
      const v = parseIPv4(flow.ip);
      if (v === null) throw new Error(`not an IPv4 address: ${flow.ip}`);
      family = 4;
      address = new Uint8Array(4);
      for (let i = 0; i < 4; i++) address[i] = Number((v >> BigInt(8 * (3 - i))) & 0xffn);
    }
  }
  const p = flow.protocol?.toLowerCase();
  return {
    family,
    protocol: p === undefined ? 0 : p === 'tcp' ? 6 : p === 'udp' ? 17 : 255,
    port: flow.port === undefined ? 0 : Number(flow.port),
    address,
    host: flow.host ?? '',
  };
}

function head(kind: number, requestId: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.write('MF', 0, 'latin1');
  b[2] = 1;
  b[3] = kind;
  b.writeUInt32BE(requestId, 4);
  return b;
}

/** A request frame (kind 1) of the records. */
export function encodeRecords(requestId: number, records: readonly WireRecord[]): Buffer {
  let size = 12;
  for (const r of records) size += 21 + r.host.length;
  const b = head(1, requestId, size);
  b.writeUInt32BE(records.length, 8);
  let o = 12;
  for (const r of records) {
    b[o] = r.family;
    b[o + 1] = r.protocol;
    b.writeUInt16BE(r.port, o + 2);
    b.set(r.address.subarray(0, 16), o + 4);
    b[o + 20] = r.host.length;
    b.write(r.host, o + 21, 'latin1');
    o += 21 + r.host.length;
  }
  return b;
}

export function encodeRequest(requestId: number, flows: readonly Flow[]): Buffer {
  return encodeRecords(requestId, flows.map(recordOf));
}

export function encodeHello(requestId: number, token: string): Buffer {
  const b = head(4, requestId, 10 + token.length);
  b.writeUInt16BE(token.length, 8);
  b.write(token, 10, 'latin1');
  return b;
}

/** A frame with its u32 length in front, as the TCP transport carries it. */
export function withLength(frame: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(frame.length);
  return Buffer.concat([len, frame]);
}

export function decodeFrame(b: Buffer): DecodedFrame {
  if (b.length < 8 || b.toString('latin1', 0, 2) !== 'MF' || b[2] !== 1) throw new Error(`not a frame: ${b.subarray(0, 16).toString('hex')}`);
  const kind = b[3]!;
  const requestId = b.readUInt32BE(4);
  if (kind === 3) {
    if (b.length !== 10) throw new Error(`error frame of ${b.length} bytes`);
    return { kind, requestId, error: b.readUInt16BE(8) };
  }
  if (kind === 5) return { kind, requestId, version: b.toString('latin1', 8, 18) };
  if (kind !== 2) throw new Error(`unexpected kind ${kind}`);
  const n = b.readUInt32BE(8);
  if (b.length !== 22 + 8 * n) throw new Error(`answer frame of ${b.length} bytes for ${n} records`);
  const records: AnswerRecord[] = [];
  for (let i = 0, o = 22; i < n; i++, o += 8) {
    records.push({ status: b[o]!, category: b[o + 1]!, matchedBy: b[o + 2]!, flags: b[o + 3]!, setId: b.readUInt16BE(o + 4), error: b.readUInt16BE(o + 6) });
  }
  return { kind, requestId, version: b.toString('latin1', 12, 22), records };
}

const CATEGORY: Record<string, number> = { Optimize: 1, Allow: 2, Default: 3 };
const MATCHED_BY: Record<string, number> = { ip: 1, host: 2, 'host+ip': 3 };

/**
 * What the spec says the record of a JSON answer must be; `numbers` maps error codes to their
 * numbers (from asyncapi.yaml or the registry).
 */
export function expectedRecord(r: ClassifyResult, numbers: ReadonlyMap<string, number>): AnswerRecord {
  if ('error' in r) return { status: 2, category: 0, matchedBy: 0, flags: 0, setId: 0, error: numbers.get(r.error.code) ?? -1 };
  return {
    status: r.m365 ? 1 : 0,
    category: r.category === null ? 0 : CATEGORY[r.category]!,
    matchedBy: r.matchedBy === null ? 0 : MATCHED_BY[r.matchedBy]!,
    flags: (r.expressRoute === true ? 1 : 0) | (r.required === true ? 2 : 0),
    setId: r.endpointSetId ?? 0,
    error: 0,
  };
}

/**
 * Reads length-prefixed frames off a TCP byte stream: push chunks in, take whole frames out.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) break;
      out.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
