import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';
import { bigintToWords, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addresses.js';

/**
 * Exact prefix arithmetic, on one convention: inclusive [lo, hi] intervals of unsigned addresses
 * (bigint: IPv6 needs 128 bits). The split-tunnel exporter and the diff's coverage measure both
 * use it. ip-num parses the prefixes; merging is done here because ip-num's Pool.aggregate()
 * leaves nested prefixes unmerged (10.0.3.0/25 and 10.0.3.0/26 stay two ranges).
 */

export type Family = 4 | 6;

export interface Interval {
  readonly lo: bigint;
  readonly hi: bigint;
}

export interface PrefixInterval extends Interval {
  readonly family: Family;
  readonly length: number;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** The addresses of network/length. */
export function intervalOf(family: Family, network: bigint, length: number): Interval {
  return { lo: network, hi: network + (1n << BigInt(familyBits(family) - length)) - 1n };
}

export function prefixInterval(cidr: string): PrefixInterval {
  const family: Family = cidr.includes(':') ? 6 : 4;
  const range = family === 4 ? IPv4CidrRange.fromCidr(cidr) : IPv6CidrRange.fromCidr(cidr);
  return {
    family,
    lo: range.getFirst().getValue(),
    hi: range.getLast().getValue(),
    length: Number(cidr.slice(cidr.indexOf('/') + 1)),
  };
}

/** Sorted, with overlapping and adjacent intervals joined. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Array<{ lo: bigint; hi: bigint }> = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && iv.lo <= last.hi + 1n) {
      if (iv.hi > last.hi) last.hi = iv.hi;
    } else out.push({ lo: iv.lo, hi: iv.hi });
  }
  return out;
}

/** How many addresses a merged list covers. */
export function intervalsSize(merged: readonly Interval[]): bigint {
  let total = 0n;
  for (const iv of merged) total += iv.hi - iv.lo + 1n;
  return total;
}

/** |a \ b| for merged lists, one linear sweep. */
export function addressesNotIn(a: readonly Interval[], b: readonly Interval[]): bigint {
  let lost = 0n;
  let j = 0;
  for (const iv of a) {
    // cur: the first address of iv not yet accounted for
    let cur = iv.lo;
    while (j < b.length && b[j]!.hi < cur) j++;
    for (let k = j; k < b.length && cur <= iv.hi; k++) {
      const o = b[k]!;
      if (o.lo > iv.hi) break;
      if (o.lo > cur) lost += o.lo - cur;
      if (o.hi + 1n > cur) cur = o.hi + 1n;
    }
    if (cur <= iv.hi) lost += iv.hi - cur + 1n;
  }
  return lost;
}

/** Everything in the family's address space not in `merged` (which must be merged). */
export function complement(merged: readonly Interval[], family: Family): Interval[] {
  const max = (1n << BigInt(familyBits(family))) - 1n;
  const out: Interval[] = [];
  let next = 0n;
  for (const iv of merged) {
    if (iv.lo > next) out.push({ lo: next, hi: iv.lo - 1n });
    next = iv.hi + 1n;
  }
  if (next <= max) out.push({ lo: next, hi: max });
  return out;
}

/** The fewest CIDR prefixes covering exactly [lo, hi]: greedy largest aligned block first. */
export function intervalToPrefixes(iv: Interval, family: Family): Array<{ network: bigint; length: number }> {
  const bits = familyBits(family);
  const out: Array<{ network: bigint; length: number }> = [];
  let lo = iv.lo;
  while (lo <= iv.hi) {
    let size = 0;
    // Grow the block while lo stays aligned to it and it stays inside the interval.
    while (size < bits && (lo & ((1n << BigInt(size + 1)) - 1n)) === 0n && lo + (1n << BigInt(size + 1)) - 1n <= iv.hi) size++;
    out.push({ network: lo, length: bits - size });
    lo += 1n << BigInt(size);
  }
  return out;
}

export function formatPrefix(family: Family, network: bigint, length: number): string {
  return `${family === 4 ? formatIPv4(Number(network)) : formatIPv6(bigintToWords(network))}/${length}`;
}

/** Merged intervals → minimal canonical CIDR texts, in address order. */
export function toCidrs(merged: readonly Interval[], family: Family): string[] {
  return merged.flatMap((iv) => intervalToPrefixes(iv, family).map((p) => formatPrefix(family, p.network, p.length)));
}

export interface Ranked extends PrefixInterval {
  /** Lower wins a tie between prefixes of the same length (the category rank). */
  readonly rank: number;
}

/**
 * The address space of one family cut at every prefix bound; for each piece some prefix covers,
 * the prefix that wins it: the longest, ties to the lowest rank. This is the engine's IP verdict
 * in specific-first mode, so a more specific prefix of another category cuts into a wider one.
 */
export function segmentWinners<P extends Ranked>(prefixes: readonly P[]): Array<{ readonly winner: P; readonly interval: Interval }> {
  const bounds = new Set<bigint>();
  for (const p of prefixes) {
    bounds.add(p.lo);
    bounds.add(p.hi + 1n);
  }
  const cuts = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<{ winner: P; interval: Interval }> = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const lo = cuts[k]!;
    let winner: P | undefined;
    for (const p of prefixes) {
      if (p.lo > lo || p.hi < lo) continue;
      if (winner === undefined || p.length > winner.length || (p.length === winner.length && p.rank < winner.rank)) winner = p;
    }
    if (winner !== undefined) out.push({ winner, interval: { lo, hi: cuts[k + 1]! - 1n } });
  }
  return out;
}

export interface RankedPrefix extends Ranked {
  readonly selected: boolean;
}

/** The addresses whose winning prefix (segmentWinners) is a selected one, merged. */
export function winningIntervals(prefixes: readonly RankedPrefix[]): Interval[] {
  return mergeIntervals(segmentWinners(prefixes).filter((s) => s.winner.selected).map((s) => s.interval));
}

/** An address's family and value, or null. Brackets and zone ids are not addresses here. */
export function parseAddressValue(text: string): { family: Family; value: bigint } | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { family: 4, value: BigInt(v4) };
  const w = new Uint32Array(4);
  if (!parseIPv6(text, w)) return null;
  let value = 0n;
  for (const word of w) value = (value << 32n) | BigInt(word);
  return { family: 6, value };
}

/** `ADDR/LEN` or a bare address (a host prefix); host bits are cleared. Null when not a prefix. */
export function parseLooseCidr(text: string): PrefixInterval | null {
  const slash = text.indexOf('/');
  const addr = parseAddressValue(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  const bits = familyBits(addr.family);
  const lenText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return null;
  const length = Number(lenText);
  const size = 1n << BigInt(bits - length);
  const lo = addr.value & ~(size - 1n);
  return { family: addr.family, lo, hi: lo + size - 1n, length };
}

/** The intervals of `from` with those of `cut` removed (both merged, same family). */
export function subtractIntervals(from: readonly Interval[], cut: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const iv of from) {
    let lo = iv.lo;
    for (const c of cut) {
      if (c.hi < lo || c.lo > iv.hi) continue;
      if (c.lo > lo) out.push({ lo, hi: c.lo - 1n });
      lo = c.hi + 1n;
    }
    if (lo <= iv.hi) out.push({ lo, hi: iv.hi });
  }
  return out;
}
