import type { EndpointSet, PortRange } from '../types.js';

/**
 * Port/protocol eligibility of every set, answered with two array reads.
 *
 * Layout:
 *   portClass     Uint16Array(2 * 65536)  [proto * 65536 + port] → class: an elementary interval
 *                                          between the range boundaries of all sets (proto 0 tcp, 1 udp)
 *   classBits     Uint32Array(sets * 2 * words)  [(set * 2 + proto) * words + (class >>> 5)] bit (class & 31):
 *                                          the set lists that class's ports for that protocol
 *   hasProto      Uint8Array(sets * 2)     [set * 2 + proto] → 1 when the set lists any port for proto
 */
export interface PortTable {
  readonly portClass: Uint16Array;
  readonly classBits: Uint32Array;
  readonly words: number;
  readonly hasProto: Uint8Array;
}

function classesFor(sets: readonly EndpointSet[], pick: (s: EndpointSet) => readonly PortRange[], out: Uint16Array, offset: number): number {
  const starts = new Set<number>([0]);
  for (const s of sets) {
    for (const [lo, hi] of pick(s)) {
      starts.add(lo);
      if (hi < 65535) starts.add(hi + 1);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  let cls = -1;
  let next = 0;
  for (let port = 0; port < 65536; port++) {
    if (port === sorted[next]) {
      cls++;
      next++;
    }
    out[offset + port] = cls;
  }
  return cls + 1;
}

export function buildPortTable(sets: readonly EndpointSet[]): PortTable {
  const portClass = new Uint16Array(2 * 65536);
  const tcpClasses = classesFor(sets, (s) => s.tcpPorts, portClass, 0);
  const udpClasses = classesFor(sets, (s) => s.udpPorts, portClass, 65536);
  const words = Math.ceil(Math.max(tcpClasses, udpClasses) / 32);
  const classBits = new Uint32Array(sets.length * 2 * words);
  const hasProto = new Uint8Array(sets.length * 2);
  sets.forEach((s, i) => {
    [s.tcpPorts, s.udpPorts].forEach((ranges, proto) => {
      if (ranges.length) hasProto[i * 2 + proto] = 1;
      const base = (i * 2 + proto) * words;
      for (const [lo, hi] of ranges) {
        // Ranges start and end on class boundaries, so the classes of lo..hi are contiguous.
        const first = portClass[proto * 65536 + lo]!;
        const last = portClass[proto * 65536 + hi]!;
        for (let c = first; c <= last; c++) {
          const k = base + (c >>> 5);
          classBits[k] = classBits[k]! | (1 << (c & 31));
        }
      }
    });
  });
  return { portClass, classBits, words, hasProto };
}
