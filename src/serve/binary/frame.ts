/**
 * The binary wire protocol's frame layout (docs/binary-protocol.md, asyncapi.yaml). All
 * integers big-endian. Every frame starts with the same 8 bytes:
 *   0-1  magic "MF"   2  version 1   3  kind   4-7  request id (u32, echoed in the answer)
 * Request (kind 1):  8-11 record count N, then N records of 21 + L bytes:
 *   +0 family (0 none, 4, 6)  +1 protocol (0 none, 6 tcp, 17 udp)  +2-3 port (0 none)
 *   +4-19 address (IPv4 in +4..+7)  +20 host length L (0 none, at most 253)  +21.. host ASCII
 * Answer (kind 2):   8-11 N, 12-21 data version (10 ASCII digits), then N records of 8 bytes:
 *   +0 status (0 not M365, 1 M365, 2 invalid)  +1 category (0 none, 1 Optimize, 2 Allow,
 *   3 Default)  +2 matched by (0 none, 1 ip, 2 host, 3 host+ip)  +3 flags (bit 0 expressRoute,
 *   bit 1 required)  +4-5 endpoint set id (0 none)  +6-7 error number (0 none)
 * Error (kind 3):    8-9 error number of the frame-level error (ERROR_NUMBERS in src/errors.ts)
 * Hello (kind 4):    8-9 token length T, 10.. token bytes (the TCP transport's bearer token)
 * Hello ok (kind 5): 8-17 data version (10 ASCII digits)
 */
import { ERROR_NUMBERS, type ErrorCode } from '../../core/errors.js';

export const MAGIC_0 = 0x4d; // 'M'
export const MAGIC_1 = 0x46; // 'F'
export const PROTOCOL_VERSION = 1;

export const KIND_REQUEST = 1;
export const KIND_ANSWER = 2;
export const KIND_ERROR = 3;
export const KIND_HELLO = 4;
export const KIND_HELLO_OK = 5;

export const HEADER_BYTES = 12;
export const RECORD_BYTES = 21;
export const ANSWER_HEADER_BYTES = 22;
export const ANSWER_RECORD_BYTES = 8;
export const ERROR_FRAME_BYTES = 10;
export const MAX_HOST_BYTES = 253;
/** As the JSON routes' batch limit (openapi.yaml maxItems). */
export const MAX_RECORDS = 10_000;

export const FAMILY_NONE = 0;
export const FAMILY_V4 = 4;
export const FAMILY_V6 = 6;
export const IANA_TCP = 6;
export const IANA_UDP = 17;

/** The stable number of a code (0 when it has none: not expected on the binary path). */
export function errorNumber(code: string): number {
  return ERROR_NUMBERS.get(code as ErrorCode) ?? 0;
}

function header(out: Buffer, kind: number, requestId: number): void {
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = PROTOCOL_VERSION;
  out[3] = kind;
  out.writeUInt32BE(requestId >>> 0, 4);
}

/** An error frame (kind 3) for a frame-level error; request id 0 when it could not be read. */
export function errorFrame(requestId: number, code: ErrorCode): Buffer {
  const out = Buffer.allocUnsafe(ERROR_FRAME_BYTES);
  header(out, KIND_ERROR, requestId);
  out.writeUInt16BE(errorNumber(code), 8);
  return out;
}

/** The data version as exactly 10 ASCII digits (Microsoft's YYYYMMDDNN; zeros when unknown). */
export function writeVersion(out: Buffer, at: number, version: string): void {
  const v = /^[0-9]{10}$/.test(version) ? version : '0000000000';
  out.write(v, at, 10, 'latin1');
}

/** The answer to a hello: kind 5 with the data version. */
export function helloOkFrame(requestId: number, version: string): Buffer {
  const out = Buffer.allocUnsafe(18);
  header(out, KIND_HELLO_OK, requestId);
  writeVersion(out, 8, version);
  return out;
}

export function answerHeader(out: Buffer, requestId: number, count: number, version: string): void {
  header(out, KIND_ANSWER, requestId);
  out.writeUInt32BE(count, 8);
  writeVersion(out, 12, version);
}

/** What a frame's first 8 bytes say: its kind and request id, or the frame-level error. */
export interface FrameHead {
  readonly kind: number;
  readonly requestId: number;
  readonly error: ErrorCode | null;
}

export function readHead(frame: Buffer): FrameHead {
  const requestId = frame.length >= 8 ? frame.readUInt32BE(4) : 0;
  if (frame.length < 4) return { kind: 0, requestId, error: 'M365FC_ERR_BINARY_TRUNCATED' };
  if (frame[0] !== MAGIC_0 || frame[1] !== MAGIC_1) return { kind: 0, requestId, error: 'M365FC_ERR_BINARY_BAD_MAGIC' };
  if (frame[2] !== PROTOCOL_VERSION) return { kind: 0, requestId, error: 'M365FC_ERR_BINARY_BAD_VERSION' };
  const kind = frame[3]!;
  if (kind !== KIND_REQUEST && kind !== KIND_HELLO) return { kind, requestId, error: 'M365FC_ERR_BINARY_BAD_KIND' };
  if (frame.length < 8) return { kind, requestId, error: 'M365FC_ERR_BINARY_TRUNCATED' };
  return { kind, requestId, error: null };
}

/** The token of a hello frame, or null when the frame is not a complete hello. */
export function helloToken(frame: Buffer): string | null {
  if (frame.length < 10) return null;
  const n = frame.readUInt16BE(8);
  if (frame.length !== 10 + n) return null;
  return frame.toString('latin1', 10, 10 + n);
}
