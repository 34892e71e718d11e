/**
 * The lookup path over a CompiledIndex: no I/O, no exceptions, no allocation.
 * Every function returns a pair id (its rank: lower is better) or -1.
 * A flow's port and protocol are first reduced to one column (see compile/port-table.ts).
 */
import type { CompiledIndex } from '../compile/compile-index.js';
import type { KeyEntry, KeyTable, SuffixItem } from '../compile/host-matcher.js';
import { forwardHashRange } from '../core/host-hash.js';
import type { PortTable } from '../compile/port-table.js';
import { TAIL, type PrefixTrie } from '../compile/prefix-trie.js';
import { HOST_DOTS } from './normalize-host.js';

export const PROTO_NONE = 0;
export const PROTO_TCP = 1;
export const PROTO_UDP = 2;

/** DESIGN §3 eligibility as a column: a port is looked up in tcpPorts unless the protocol is udp. */
export function portColumn(t: PortTable, port: number, proto: number): number {
  if (port === 0) return proto;
  return t.portColumn[((proto === PROTO_UDP ? 1 : 0) << 16) | port]!;
}

function eligible(t: PortTable, set: number, column: number): boolean {
  return ((t.setBits[set * t.words + (column >>> 5)]! >>> (column & 31)) & 1) === 1;
}

/** Candidate list id for an IPv4 address: at most three reads, and a compare at a tail. */
export function trieListV4(t: PrefixTrie, a: number): number {
  let v = t.root[a >>> 16]!;
  if (v < 0) {
    v = t.nodes[(~v << 8) | ((a >>> 8) & 255)]!;
    if (v < 0) v = t.nodes[(~v << 8) | (a & 255)]!;
  }
  if (v < TAIL) return v;
  const k = v - TAIL;
  return t.tailList[2 * k + ((a & t.tailMask[4 * k]!) >>> 0 === t.tailNet[4 * k] ? 0 : 1)]!;
}

/** Candidate list id for an IPv6 address given as four words. */
export function trieListV6(t: PrefixTrie, w: Uint32Array): number {
  let v = t.root[w[0]! >>> 16]!;
  // byte b of the address sits in word b >> 2 at shift 24 - 8 * (b & 3)
  for (let b = 2; v < 0 && b < 16; b++) v = t.nodes[(~v << 8) | ((w[b >> 2]! >>> (24 - 8 * (b & 3))) & 255)]!;
  if (v < TAIL) return v;
  const k = 4 * (v - TAIL);
  const m = t.tailMask;
  const n = t.tailNet;
  const inside =
    (w[0]! & m[k]!) >>> 0 === n[k] && (w[1]! & m[k + 1]!) >>> 0 === n[k + 1] && (w[2]! & m[k + 2]!) >>> 0 === n[k + 2] && (w[3]! & m[k + 3]!) >>> 0 === n[k + 3];
  return t.tailList[(v - TAIL) * 2 + (inside ? 0 : 1)]!;
}

/** The best eligible ip pair of a candidate list in a column, or -1: one read. */
export function bestInList(t: PrefixTrie, list: number, column: number): number {
  return t.listBest[list * t.columns + column]!;
}

/** True when any prefix of `set` in the candidate list contains the address. */
export function listHasSet(ix: CompiledIndex, t: PrefixTrie, list: number, set: number): boolean {
  const pairs = t.listPairs;
  for (let k = t.listStart[list]!, end = t.listStart[list + 1]!; k < end; k++) if (ix.ipPairSet[pairs[k]!] === set) return true;
  return false;
}

function bestOfPairs(ix: CompiledIndex, pairs: Int32Array, column: number, best: number): number {
  for (let k = 0; k < pairs.length; k++) {
    const pair = pairs[k]!;
    if (best >= 0 && pair >= best) return best;
    if (eligible(ix.ports, ix.hostPairSet[pair]!, column)) return pair;
  }
  return best;
}

function bestOfItem(ix: CompiledIndex, item: SuffixItem, host: string, at: number, column: number, best: number): number {
  if (best >= 0 && item.pairs[0]! >= best) return best;
  if (item.fragment.length !== 0 && !host.endsWith(item.fragment, at)) return best;
  if (item.glob !== null && !(host.startsWith(item.head) && item.glob.test(host))) return best;
  return bestOfPairs(ix, item.pairs, column, best);
}

function bestOfItems(ix: CompiledIndex, items: readonly SuffixItem[], host: string, at: number, column: number, best: number): number {
  for (let k = 0; k < items.length; k++) best = bestOfItem(ix, items[k]!, host, at, column, best);
  return best;
}

/**
 * The entry of `t` whose key hashes to h and equals the last `length` characters of host
 * (`atEnd`: a suffix key) or its first `length` (a head key), or undefined.
 * Neither compare takes a position: startsWith(key, from) cost 61 ns against 22 for endsWith(key)
 * on the suffix compares of bench/match/hosts (same run, node 20); classify({ host }) 68 → 79 % of
 * its Map.get probe.
 */
function probe(t: KeyTable, h: number, host: string, length: number, atEnd: boolean): KeyEntry | undefined {
  const { slotHash, slotEntry, mask } = t;
  for (let slot = h & mask; slotEntry[slot] !== 0; slot = (slot + 1) & mask) {
    if (slotHash[slot] !== h) continue;
    const entry = t.entries[slotEntry[slot]! - 1]!;
    if (entry.key.length === length && (atEnd ? host.endsWith(entry.key) : host.startsWith(entry.key))) return entry;
  }
  return undefined;
}

/**
 * specific-first only: the best eligible pair of `host` as an exact (published) host, or -1.
 * An exact host outranks every wildcard, so a hit is the verdict; and a published host is
 * already valid and normal, so the caller may try this before normalizeHost walks the host.
 */
export function bestExactPair(ix: CompiledIndex, host: string, column: number): number {
  const exact = ix.hosts.exact.get(host);
  return exact === undefined ? -1 : bestOfPairs(ix, exact, column, -1);
}

/**
 * The best eligible host pair for a host, or -1. `host` must be what the last normalizeHost call
 * returned: its dots and suffix hashes are read from HOST_DOTS instead of walking the host again.
 * `exactTried`: bestExactPair already answered -1 for this very host (specific-first), so the
 * exact table is not read twice (classify({ host }) 1.02-1.03x on bench/match/hosts, same process).
 */
export function bestHostPair(ix: CompiledIndex, host: string, column: number, exactTried = false): number {
  const m = ix.hosts;
  let best = -1;
  const exact = exactTried ? undefined : m.exact.get(host);
  if (exact !== undefined) {
    best = bestOfPairs(ix, exact, column, -1);
    // specific-first: an exact host outranks every wildcard, so the walk cannot improve on it.
    if (best >= 0 && ix.precedence === 'specific-first') return best;
  }
  const n = host.length;
  const { count, at, hash } = HOST_DOTS;
  // one probe of the suffix table per dot, from the last dot to the first; none where no key has
  // the suffix's length (classify({ host }) 1.02x on bench/match/hosts, same process)
  const suffixLengths = m.suffixes.lengths;
  for (let k = 0; k < count; k++) {
    const i = at[k]!;
    if (suffixLengths[n - i] !== 1) continue;
    const entry = probe(m.suffixes, hash[k]!, host, n - i, true);
    if (entry !== undefined) best = bestOfItems(ix, entry.items, host, i, column, best);
  }
  const firstDot = count > 0 ? at[count - 1]! : -1;
  // most first labels have no head key's length, so most hosts skip hashing their first label
  // (classify({ host }) 80-81 → 84-89 % of the Map.get probe of bench/match/hosts, same process)
  if (firstDot >= 0 && m.heads.lengths[firstDot + 1] === 1) {
    const entry = probe(m.heads, forwardHashRange(host, 0, firstDot + 1), host, firstDot + 1, false);
    if (entry !== undefined) best = bestOfItems(ix, entry.items, host, 0, column, best);
  }
  return bestOfItems(ix, m.general, host, 0, column, best);
}
