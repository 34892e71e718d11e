import type { Classifier } from '../../match/classifier.js';
import { ERRORS, type ErrorCode } from '../../core/errors.js';
import { PROTO_NONE, PROTO_TCP, PROTO_UDP } from '../../match/lookup.js';
import type { ClassifyResult, FlowError } from '../../core/types.js';
import type { ServeMetrics } from '../metrics.js';
import {
  ANSWER_HEADER_BYTES,
  ANSWER_RECORD_BYTES,
  FAMILY_NONE,
  FAMILY_V4,
  FAMILY_V6,
  HEADER_BYTES,
  IANA_TCP,
  IANA_UDP,
  MAX_HOST_BYTES,
  MAX_RECORDS,
  RECORD_BYTES,
  answerHeader,
  errorFrame,
  errorNumber,
  helloOkFrame,
  KIND_HELLO,
  readHead,
} from './frame.js';

/**
 * Answers one request frame (kind 1): every record classified in order, one answer frame; or,
 * when the frame's structure is wrong anywhere, one error frame and no answers. Records are read
 * straight from the Buffer: an IPv4 address as a u32, an IPv6 one into a reused Uint32Array, the
 * host turned into a string only when present. Nothing is allocated per record but that string.
 */

function flowError(code: ErrorCode): FlowError {
  return Object.freeze({ error: Object.freeze({ code, message: ERRORS[code].message }) });
}

// Fields the engine never sees on this path (a protocol or family byte it has no name for)
// get the engine's own codes, as the JSON routes answer `protocol: "sctp"` or `ip: "x"`.
const E_BAD_PROTOCOL = flowError('M365FC_ERR_FLOW_BAD_PROTOCOL');
const E_BAD_IP = flowError('M365FC_ERR_FLOW_BAD_IP');

/** Scratch for IPv6 addresses; answering is synchronous, so one per process is enough. */
const words = new Uint32Array(4);

/** The frame-level error of a request frame's structure, or null when every record is whole. */
export function checkRequest(frame: Buffer): ErrorCode | null {
  const len = frame.length;
  if (len < HEADER_BYTES) return 'M365FC_ERR_BINARY_TRUNCATED';
  const n = frame.readUInt32BE(8);
  if (n > MAX_RECORDS) return 'M365FC_ERR_BINARY_TOO_MANY_RECORDS';
  if (HEADER_BYTES + n * RECORD_BYTES > len) return 'M365FC_ERR_BINARY_TRUNCATED';
  let o = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    if (o + RECORD_BYTES > len) return 'M365FC_ERR_BINARY_TRUNCATED';
    const hostLen = frame[o + 20]!;
    if (hostLen > MAX_HOST_BYTES) return 'M365FC_ERR_BINARY_HOST_TOO_LONG';
    o += RECORD_BYTES + hostLen;
  }
  return o === len ? null : 'M365FC_ERR_BINARY_TRUNCATED';
}

function u32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** One record at `o` of `frame`, classified. */
function classifyRecord(c: Classifier, frame: Buffer, o: number): ClassifyResult {
  const p = frame[o + 1]!;
  const proto = p === IANA_TCP ? PROTO_TCP : p === IANA_UDP ? PROTO_UDP : p === 0 ? PROTO_NONE : -1;
  if (proto < 0) return E_BAD_PROTOCOL;
  const port = (frame[o + 2]! << 8) | frame[o + 3]!;
  const hostLen = frame[o + 20]!;
  const host = hostLen === 0 ? null : frame.toString('latin1', o + 21, o + 21 + hostLen);
  const family = frame[o]!;
  if (family === FAMILY_V4) return c.classifyBinary(FAMILY_V4, u32(frame, o + 4), words, port, proto, host);
  if (family === FAMILY_V6) {
    words[0] = u32(frame, o + 4);
    words[1] = u32(frame, o + 8);
    words[2] = u32(frame, o + 12);
    words[3] = u32(frame, o + 16);
    return c.classifyBinary(FAMILY_V6, 0, words, port, proto, host);
  }
  if (family === FAMILY_NONE) return c.classifyBinary(FAMILY_NONE, 0, words, port, proto, host);
  return E_BAD_IP;
}

/** Writes one 8-byte answer record for `r` at `o`. */
function writeRecord(out: Buffer, o: number, r: ClassifyResult): void {
  if ('error' in r) {
    const n = errorNumber(r.error.code);
    out[o] = 2;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 0;
    out[o + 4] = 0;
    out[o + 5] = 0;
    out[o + 6] = n >>> 8;
    out[o + 7] = n & 255;
    return;
  }
  const cat = r.category;
  const by = r.matchedBy;
  // Set ids above 65535 do not fit; Microsoft's are below 1000 (docs/binary-protocol.md).
  const id = r.endpointSetId === null ? 0 : r.endpointSetId > 0xffff ? 0xffff : r.endpointSetId;
  out[o] = r.m365 ? 1 : 0;
  out[o + 1] = cat === 'Optimize' ? 1 : cat === 'Allow' ? 2 : cat === 'Default' ? 3 : 0;
  out[o + 2] = by === 'ip' ? 1 : by === 'host' ? 2 : by === 'host+ip' ? 3 : 0;
  out[o + 3] = (r.expressRoute === true ? 1 : 0) | (r.required === true ? 2 : 0);
  out[o + 4] = id >>> 8;
  out[o + 5] = id & 255;
  out[o + 6] = 0;
  out[o + 7] = 0;
}

/** An error frame, counted in m365fc_errors_total. */
export function fail(metrics: ServeMetrics, requestId: number, code: ErrorCode): Buffer {
  metrics.countError(code);
  return errorFrame(requestId, code);
}

/**
 * The answer to a request frame whose first 8 bytes were already checked (readHead): an answer
 * frame, or an error frame when the structure is wrong or no index is loaded.
 */
export function answerRequest(c: Classifier | null, frame: Buffer, requestId: number, metrics: ServeMetrics, route: number): Buffer {
  const bad = checkRequest(frame);
  if (bad !== null) return fail(metrics, requestId, bad);
  if (c === null) return fail(metrics, requestId, 'M365FC_ERR_SERVE_NOT_READY');
  const n = frame.readUInt32BE(8);
  const out = Buffer.allocUnsafe(ANSWER_HEADER_BYTES + n * ANSWER_RECORD_BYTES);
  answerHeader(out, requestId, n, c.version);
  let o = HEADER_BYTES;
  let w = ANSWER_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const r = classifyRecord(c, frame, o);
    metrics.countResult(route, r);
    writeRecord(out, w, r);
    o += RECORD_BYTES + frame[o + 20]!;
    w += ANSWER_RECORD_BYTES;
  }
  return out;
}

/** The answer to any frame a client sends: a request, a hello (answered ok: whoever may send
 * frames here was already let in), or anything else (an error frame). */
export function answerFrame(c: Classifier | null, frame: Buffer, metrics: ServeMetrics, route: number): Buffer {
  const head = readHead(frame);
  if (head.error !== null) return fail(metrics, head.requestId, head.error);
  if (head.kind === KIND_HELLO) return c === null ? fail(metrics, head.requestId, 'M365FC_ERR_SERVE_NOT_READY') : helloOkFrame(head.requestId, c.version);
  return answerRequest(c, frame, head.requestId, metrics, route);
}
