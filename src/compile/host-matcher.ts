import { globToRegExp } from '../core/globs.js';
import { forwardHash, reverseHash } from '../core/host-hash.js';

/**
 * The host matcher, built once per index. Patterns are globs (`*` = any run, dots included,
 * anchored at both ends), so every wildcard pattern ends with a literal tail T after its last `*`.
 * T splits into a fragment F (before T's first dot) and a dot-anchored suffix R: `*cdn.onenote.net`
 * → F `cdn`, R `.onenote.net`. A host can only match when it ends with R at a label boundary, so
 * patterns are filed under R and a lookup probes one hash table per dot in the host, walking from
 * the end (a reversed label suffix walk) without building substrings.
 *
 * Layout:
 *   exact      Map<host, Int32Array>    exact hosts → pair ids (best first)
 *   suffixes   KeyTable:
 *     slotHash   Int32Array(2^k)        FNV-1a of R read backwards; open addressing, linear probe
 *     slotEntry  Int32Array(2^k)        entry index + 1 (0 = free slot)
 *     entries    KeyEntry[]          R and the patterns filed under it
 *     lengths    Uint8Array(256)        1 at each key length: a host part of another length is not looked up
 *   heads      KeyTable               the same, keyed by FNV-1a (forwards) of a first label and its dot
 *                                       (`x.`): patterns with no dot after their last `*` but a dotted
 *                                       literal head (`x.example.*`)
 *   general    SuffixItem[]             the rest (no anchoring dot at either end): checked for every host
 */
export interface SuffixItem {
  readonly pattern: string;
  /** Literal characters before the first `*`; checked with startsWith before the glob runs. */
  readonly head: string;
  /** Literal characters of the last label fragment before R; '' for `*.x.com`. */
  readonly fragment: string;
  /** Full glob test, or null when the pattern is exactly `*` + F + R (the suffix test is the whole test). */
  readonly glob: RegExp | null;
  /** Pair ids with this pattern, best first. */
  readonly pairs: Int32Array;
}

export interface KeyEntry {
  /** R for the suffix table, the first label and its dot for the head table. */
  readonly key: string;
  readonly items: readonly SuffixItem[];
}

/** An open-addressing hash table of string keys (suffixes or heads) to item lists. */
export interface KeyTable {
  readonly slotHash: Int32Array;
  readonly slotEntry: Int32Array;
  readonly mask: number;
  readonly entries: readonly KeyEntry[];
  /** 1 at every length some key has (keys are at most 254 characters: a dot and a 253-character name). */
  readonly lengths: Uint8Array;
}

export interface HostMatcher {
  readonly exact: Map<string, Int32Array>;
  readonly suffixes: KeyTable;
  readonly heads: KeyTable;
  readonly general: readonly SuffixItem[];
}

function buildKeyTable(groups: Map<string, SuffixItem[]>, hash: (key: string) => number): KeyTable {
  const entries: KeyEntry[] = [...groups].map(([key, items]) => ({
    key,
    items: items.sort((a, b) => a.pairs[0]! - b.pairs[0]!),
  }));
  let size = 16;
  while (size < entries.length * 2) size *= 2;
  const slotHash = new Int32Array(size);
  const slotEntry = new Int32Array(size);
  const mask = size - 1;
  const lengths = new Uint8Array(256);
  entries.forEach((e, i) => {
    if (e.key.length < 256) lengths[e.key.length] = 1;
    const h = hash(e.key);
    let slot = h & mask;
    while (slotEntry[slot] !== 0) slot = (slot + 1) & mask;
    slotHash[slot] = h;
    slotEntry[slot] = i + 1;
  });
  return { slotHash, slotEntry, mask, entries, lengths };
}

function fileUnder(groups: Map<string, SuffixItem[]>, key: string, item: SuffixItem): void {
  const list = groups.get(key);
  if (list) list.push(item);
  else groups.set(key, [item]);
}

/** `pairsByPattern`: each distinct pattern with its pair ids (ascending = best first). */
export function buildHostMatcher(pairsByPattern: ReadonlyMap<string, readonly number[]>): HostMatcher {
  const exact = new Map<string, Int32Array>();
  const bySuffix = new Map<string, SuffixItem[]>();
  const byHead = new Map<string, SuffixItem[]>();
  const general: SuffixItem[] = [];
  for (const [pattern, pairList] of pairsByPattern) {
    const pairs = Int32Array.from([...pairList].sort((a, b) => a - b));
    const firstStar = pattern.indexOf('*');
    if (firstStar < 0) {
      exact.set(pattern, pairs);
      continue;
    }
    const lastStar = pattern.lastIndexOf('*');
    const head = pattern.slice(0, firstStar);
    const tail = pattern.slice(lastStar + 1);
    const dot = tail.indexOf('.');
    if (dot >= 0) {
      // `*` + fragment + suffix is matched by the suffix walk alone; anything else also runs its glob
      const simple = lastStar === 0;
      fileUnder(bySuffix, tail.slice(dot), { pattern, head, fragment: tail.slice(0, dot), glob: simple ? null : globToRegExp(pattern), pairs });
      continue;
    }
    const item: SuffixItem = { pattern, head, fragment: '', glob: globToRegExp(pattern), pairs };
    const headDot = head.indexOf('.');
    if (headDot >= 0) fileUnder(byHead, head.slice(0, headDot + 1), item);
    else general.push(item);
  }
  return { exact, suffixes: buildKeyTable(bySuffix, reverseHash), heads: buildKeyTable(byHead, forwardHash), general };
}

function keyTableBytes(t: KeyTable): number {
  let bytes = t.slotHash.byteLength + t.slotEntry.byteLength + t.lengths.byteLength;
  for (const e of t.entries) {
    bytes += 48 + e.key.length * 2;
    for (const it of e.items) bytes += 96 + (it.pattern.length + it.head.length + it.fragment.length) * 2 + it.pairs.byteLength + (it.glob ? 256 : 0);
  }
  return bytes;
}

/** A rough size: typed arrays exactly, strings at 2 bytes a character plus object overheads. */
export function hostMatcherBytes(m: HostMatcher): number {
  let bytes = keyTableBytes(m.suffixes) + keyTableBytes(m.heads);
  for (const [host, pairs] of m.exact) bytes += 64 + host.length * 2 + pairs.byteLength;
  for (const it of m.general) bytes += 352 + it.pattern.length * 2 + it.pairs.byteLength;
  return bytes;
}
