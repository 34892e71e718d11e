/**
 * Address arithmetic for vector generation, on BigInt (32 bits for IPv4, 128 for IPv6). Not a
 * lookup path: clarity over speed. Shares no code with the engine on purpose, so that a bug in
 * the engine's parser cannot hide itself from the vectors built here.
 */

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** As the data wrote it. */
  readonly text: string;
  readonly length: number;
  /** First address of the prefix. */
  readonly first: bigint;
  /** Last address of the prefix. */
  readonly last: bigint;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX = /^[0-9a-fA-F]{1,4}$/;

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function maxOf(family: Family): bigint {
  return (1n << BigInt(bitsOf(family))) - 1n;
}

export function parseIPv4(text: string): bigint | null {
  const m = V4.exec(text);
  if (m === null) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = (v << 8n) | BigInt(o);
  }
  return v;
}

export function parseIPv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string, v4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] ?? '';
      if (v4Tail && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  let all: number[];
  if (halves.length === 1) {
    const g = groups(halves[0] ?? '', true);
    if (g === null || g.length !== 8) return null;
    all = g;
  } else {
    const head = groups(halves[0] ?? '', false);
    const tail = groups(halves[1] ?? '', true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

const MAPPED = 0xffffn << 32n;

/** Text → address; IPv4-mapped IPv6 is the IPv4 address (DESIGN.md section 3). */
export function parseAddress(text: string): Address | null {
  if (!text.includes(':')) {
    const v = parseIPv4(text);
    return v === null ? null : { family: 4, value: v };
  }
  const v = parseIPv6(text);
  if (v === null) return null;
  if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
  return { family: 6, value: v };
}

export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const family: Family = addr.includes(':') ? 6 : 4;
  const length = Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > bitsOf(family)) return null;
  const v = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  if (v === null) return null;
  const hostBits = BigInt(bitsOf(family) - length);
  const first = (v >> hostBits) << hostBits;
  return { family, text, length, first, last: first + (1n << hostBits) - 1n };
}

export function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

function groupsOf(v: bigint): number[] {
  const g: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) g.push(Number((v >> s) & 0xffffn));
  return g;
}

/** RFC 5952: lower case, the longest run (2+) of zero groups compressed, leftmost on a tie. */
export function formatIPv6(v: bigint): string {
  const g = groupsOf(v);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** All eight groups, four digits each, upper case: a spelling a careless parser may not expect. */
export function formatIPv6Full(v: bigint): string {
  return groupsOf(v)
    .map((x) => x.toString(16).padStart(4, '0').toUpperCase())
    .join(':');
}

export function formatAddress(family: Family, v: bigint): string {
  return family === 4 ? formatIPv4(v) : formatIPv6(v);
}

export function contains(p: Prefix, a: Address): boolean {
  return p.family === a.family && a.value >= p.first && a.value <= p.last;
}

/** IPv4 address as `::ffff:a.b.c.d`. */
export function mappedDotted(v4: bigint): string {
  return `::ffff:${formatIPv4(v4)}`;
}

/** IPv4 address as `::ffff:hhhh:hhhh`, the same address in hex groups. */
export function mappedHex(v4: bigint): string {
  return formatIPv6(MAPPED | v4);
}
