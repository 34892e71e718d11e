import type { EndpointSet, PortRange } from '../core/types.js';

/**
 * Port/protocol eligibility. A flow's (port, protocol) is reduced to one *column*; each set has a
 * bit per column, and each candidate list of the prefix tries has its best pair per column.
 *
 * Columns: 0 no port and no protocol (every set), 1 no port + tcp (sets with any tcp port),
 * 2 no port + udp (any udp port), then one column per tcp port class, then one per udp port class.
 * A port class is an interval between the range boundaries of all sets, so all ports of a class
 * are listed by exactly the same sets.
 *
 * Layout:
 *   portColumn  Uint16Array(2 * 65536)        [proto << 16 | port] → column (proto 0 tcp, 1 udp)
 *   setBits     Uint32Array(sets * words)     [set * words + (column >>> 5)] bit (column & 31)
 */
export interface PortTable {
  readonly portColumn: Uint16Array;
  readonly columns: number;
  readonly words: number;
  readonly setBits: Uint32Array;
}

export const COLUMN_ANY = 0;
export const COLUMN_TCP_ANY = 1;
export const COLUMN_UDP_ANY = 2;
const FIRST_PORT_COLUMN = 3;

/** Fills portColumn[offset + port] with columns from `first`; returns the next free column. */
function classify(sets: readonly EndpointSet[], pick: (s: EndpointSet) => readonly PortRange[], out: Uint16Array, offset: number, first: number): number {
  const starts = new Set<number>([0]);
  for (const s of sets) {
    for (const [lo, hi] of pick(s)) {
      starts.add(lo);
      if (hi < 65535) starts.add(hi + 1);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  let column = first - 1;
  let next = 0;
  for (let port = 0; port < 65536; port++) {
    if (port === sorted[next]) {
      column++;
      next++;
    }
    out[offset + port] = column;
  }
  return column + 1;
}

export function buildPortTable(sets: readonly EndpointSet[]): PortTable {
  const portColumn = new Uint16Array(2 * 65536);
  const udpFirst = classify(sets, (s) => s.tcpPorts, portColumn, 0, FIRST_PORT_COLUMN);
  const columns = classify(sets, (s) => s.udpPorts, portColumn, 65536, udpFirst);
  const words = Math.ceil(columns / 32);
  const setBits = new Uint32Array(sets.length * words);
  const mark = (set: number, column: number): void => {
    const k = set * words + (column >>> 5);
    setBits[k] = setBits[k]! | (1 << (column & 31));
  };
  sets.forEach((s, i) => {
    mark(i, COLUMN_ANY);
    [s.tcpPorts, s.udpPorts].forEach((ranges, proto) => {
      if (ranges.length) mark(i, proto === 0 ? COLUMN_TCP_ANY : COLUMN_UDP_ANY);
      for (const [lo, hi] of ranges) {
        // Ranges start and end on class boundaries, so lo..hi covers whole, contiguous columns.
        const last = portColumn[(proto << 16) | hi]!;
        for (let c = portColumn[(proto << 16) | lo]!; c <= last; c++) mark(i, c);
      }
    });
  });
  return { portColumn, columns, words, setBits };
}

export function setHasColumn(t: PortTable, set: number, column: number): boolean {
  return ((t.setBits[set * t.words + (column >>> 5)]! >>> (column & 31)) & 1) === 1;
}
