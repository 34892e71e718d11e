import { PROTO_NONE, PROTO_TCP, PROTO_UDP } from './lookup.js';

/** Port field → 1..65535, 0 when absent, -1 when invalid. */
export function parsePortField(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 65535 ? v : -1;
  if (typeof v !== 'string' || v.length === 0 || v.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n >= 1 && n <= 65535 ? n : -1;
}

/** Protocol field → PROTO_*, or -1 when invalid. */
export function parseProtocolField(v: unknown): number {
  if (v === undefined || v === null) return PROTO_NONE;
  if (v === 'tcp') return PROTO_TCP;
  if (v === 'udp') return PROTO_UDP;
  if (typeof v === 'string' && v.length === 3) {
    const l = v.toLowerCase();
    if (l === 'tcp') return PROTO_TCP;
    if (l === 'udp') return PROTO_UDP;
  }
  return -1;
}
