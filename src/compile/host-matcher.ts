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
 *   slotHash   Int32Array(2^k)          FNV-1a of R read backwards; open addressing, linear probe
 *   slotEntry  Int32Array(2^k)          entry index + 1 (0 = free slot)
 *   entries    SuffixEntry[]            R and the patterns filed under it
 *   general    SuffixItem[]             patterns with no dot after their last `*` (checked for every host)
 */
export interface SuffixItem {
  readonly pattern: string;
  /** Literal characters of the last label fragment before R; '' for `*.x.com`. */
  readonly fragment: string;
  /** Full glob test, or null when the pattern is exactly `*` + F + R (the suffix test is the whole test). */
  readonly glob: RegExp | null;
  /** Pair ids with this pattern, best first. */
  readonly pairs: Int32Array;
}

export interface SuffixEntry {
  readonly suffix: string;
  readonly items: readonly SuffixItem[];
}

export interface HostMatcher {
  readonly exact: Map<string, Int32Array>;
  readonly slotHash: Int32Array;
  readonly slotEntry: Int32Array;
  readonly mask: number;
  readonly entries: readonly SuffixEntry[];
  readonly general: readonly SuffixItem[];
}

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 16777619;

/** FNV-1a over s[from..] read from the end backwards, the order a host is walked at lookup. */
export function reverseHash(s: string, from = 0): number {
  let h = FNV_OFFSET;
  for (let i = s.length - 1; i >= from; i--) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** `pairsByPattern`: each distinct pattern with its pair ids (ascending = best first). */
export function buildHostMatcher(pairsByPattern: ReadonlyMap<string, readonly number[]>): HostMatcher {
  const exact = new Map<string, Int32Array>();
  const bySuffix = new Map<string, SuffixItem[]>();
  const general: SuffixItem[] = [];
  for (const [pattern, pairList] of pairsByPattern) {
    const pairs = Int32Array.from([...pairList].sort((a, b) => a - b));
    const lastStar = pattern.lastIndexOf('*');
    if (lastStar < 0) {
      exact.set(pattern, pairs);
      continue;
    }
    const tail = pattern.slice(lastStar + 1);
    const dot = tail.indexOf('.');
    const simple = lastStar === 0;
    if (dot < 0) {
      general.push({ pattern, fragment: '', glob: globToRegExp(pattern), pairs });
      continue;
    }
    const suffix = tail.slice(dot);
    const item: SuffixItem = { pattern, fragment: tail.slice(0, dot), glob: simple ? null : globToRegExp(pattern), pairs };
    const list = bySuffix.get(suffix);
    if (list) list.push(item);
    else bySuffix.set(suffix, [item]);
  }
  const entries: SuffixEntry[] = [...bySuffix].map(([suffix, items]) => ({
    suffix,
    items: items.sort((a, b) => a.pairs[0]! - b.pairs[0]!),
  }));
  let size = 16;
  while (size < entries.length * 2) size *= 2;
  const slotHash = new Int32Array(size);
  const slotEntry = new Int32Array(size);
  const mask = size - 1;
  entries.forEach((e, i) => {
    const h = reverseHash(e.suffix);
    let slot = h & mask;
    while (slotEntry[slot] !== 0) slot = (slot + 1) & mask;
    slotHash[slot] = h;
    slotEntry[slot] = i + 1;
  });
  return { exact, slotHash, slotEntry, mask, entries, general };
}

/** A rough size: typed arrays exactly, strings at 2 bytes a character plus object overheads. */
export function hostMatcherBytes(m: HostMatcher): number {
  let bytes = m.slotHash.byteLength + m.slotEntry.byteLength;
  for (const [host, pairs] of m.exact) bytes += 64 + host.length * 2 + pairs.byteLength;
  for (const e of m.entries) {
    bytes += 48 + e.suffix.length * 2;
    for (const it of e.items) bytes += 96 + (it.pattern.length + it.fragment.length) * 2 + it.pairs.byteLength + (it.glob ? 256 : 0);
  }
  for (const it of m.general) bytes += 352 + it.pattern.length * 2 + it.pairs.byteLength;
  return bytes;
}
