/**
 * Protocols as logs write them: IP protocol numbers (6, 17), names in any case (tcp, TCP) and
 * Azure's letters (T, U). Codes: 0 absent, 1 tcp, 2 udp, 3 another protocol (ICMP, GRE, ESP...,
 * classified by address alone).
 */
export const PROTO_NONE = 0;
export const PROTO_TCP = 1;
export const PROTO_UDP = 2;
export const PROTO_OTHER = 3;

export function protocolOf(v: unknown): number {
  if (v === undefined || v === null || v === '' || v === '-') return PROTO_NONE;
  if (v === 'tcp' || v === 6 || v === '6' || v === 'T' || v === 'TCP') return PROTO_TCP;
  if (v === 'udp' || v === 17 || v === '17' || v === 'U' || v === 'UDP') return PROTO_UDP;
  if (typeof v === 'string') {
    const l = v.trim().toLowerCase();
    if (l === 'tcp' || l === 't' || l === '6') return PROTO_TCP;
    if (l === 'udp' || l === 'u' || l === '17') return PROTO_UDP;
    if (l === '' || l === '-') return PROTO_NONE;
  }
  return PROTO_OTHER;
}

/** protocolOf for line[s..e) without slicing it out (the common spellings; others fall back to protocolOf). */
export function protocolAt(line: string, s: number, e: number): number {
  const len = e - s;
  if (len === 0) return PROTO_NONE;
  if (len === 3) {
    // | 0x20 lower-cases ASCII letters.
    const a = line.charCodeAt(s) | 0x20;
    const b = line.charCodeAt(s + 1) | 0x20;
    const c = line.charCodeAt(s + 2) | 0x20;
    if (a === 116 && b === 99 && c === 112) return PROTO_TCP;
    if (a === 117 && b === 100 && c === 112) return PROTO_UDP;
    return PROTO_OTHER;
  }
  if (len === 1) {
    const c = line.charCodeAt(s);
    if (c === 54 || c === 84 || c === 116) return PROTO_TCP; // 6, T, t
    if (c === 85 || c === 117) return PROTO_UDP; // U, u
    if (c === 45) return PROTO_NONE; // - (unset)
    return PROTO_OTHER;
  }
  if (len === 2 && line.charCodeAt(s) === 49 && line.charCodeAt(s + 1) === 55) return PROTO_UDP; // 17
  return PROTO_OTHER;
}

export function protocolName(code: number): 'tcp' | 'udp' | undefined {
  return code === PROTO_TCP ? 'tcp' : code === PROTO_UDP ? 'udp' : undefined;
}
