import type { PortTable } from './port-table.js';

/**
 * Longest-prefix match on typed arrays: a multibit trie with a 16-bit first stride and 8-bit
 * strides below (DIR-16-8-8 for IPv4; 16-8-8-… for IPv6), with path compression at the bottom.
 * A leaf holds the id of a candidate list: every (set, prefix) pair whose prefix contains the
 * addresses of that leaf, sorted best first, so a lookup is at most 3 (IPv4) array reads, and
 * then one read of the list's best pair for the flow's port column.
 * DIR-24-8 would be one read fewer but 64 MiB for IPv4 alone, over the 10 MB budget.
 *
 * Path compression: a prefix alone below an entry does not get a chain of chunks (a /128 would
 * take 14 chunks of 1 KiB); the entry holds a *tail* instead: the prefix and mask, the list for
 * addresses inside it and the list for the rest. A later prefix under the same entry pushes the
 * tail one level down. (20x generated set: IPv6 nodes 9.1 MB → see bench/compile.)
 *
 * Layout:
 *   root       Int32Array(65536)      entry for the top 16 bits
 *   nodes      Int32Array(256 * n)    child chunks of 256 entries, chunk c at [c << 8]
 *   entry < 0                         child chunk ~entry
 *   0 ≤ entry < TAIL                  leaf: candidate list id (0 = the empty list)
 *   entry ≥ TAIL                      tail entry - TAIL
 *   tailNet    Uint32Array(4 * tails) the tail's network, four words
 *   tailMask   Uint32Array(4 * tails) its mask
 *   tailList   Int32Array(2 * tails)  [2t] list inside the prefix, [2t + 1] list outside it
 *   listStart  Int32Array(lists + 1)  candidate list id → [listStart[id], listStart[id+1]) in listPairs
 *   listPairs  Int32Array             ip pair ids, best rank first
 *   listBest   Int32Array(lists * columns)  [id * columns + column] → best eligible pair, or -1
 *                                     (columns: see port-table.ts), so a lookup needs no scan at all
 */
export interface PrefixTrie {
  readonly root: Int32Array;
  readonly nodes: Int32Array;
  readonly tailNet: Uint32Array;
  readonly tailMask: Uint32Array;
  readonly tailList: Int32Array;
  readonly listStart: Int32Array;
  readonly listPairs: Int32Array;
  readonly columns: number;
  readonly listBest: Int32Array;
}

export const TAIL = 1 << 30;

export interface TriePrefix {
  /** Network address, four 32-bit words, most significant first (IPv4: the value in word 0). */
  readonly words: Uint32Array;
  readonly length: number;
  readonly pair: number;
}

/** The `width` bits at bit offset `offset` (offset + width <= 32 within one word, or an 8-bit aligned byte). */
function bitsAt(words: Uint32Array, offset: number, width: number): number {
  const word = words[offset >>> 5]!;
  const shift = 32 - (offset & 31) - width;
  return (word >>> shift) & ((1 << width) - 1);
}

function maskWords(length: number): Uint32Array {
  const m = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, length - 32 * k));
    m[k] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return m;
}

interface Tail {
  readonly prefix: TriePrefix;
  inside: number;
  outside: number;
}

class TrieBuilder {
  root = new Int32Array(65536);
  nodes = new Int32Array(256 * 64);
  chunkCount = 0;
  tails: Tail[] = [];
  /** Candidate lists in insertion order (sorted when the trie is finished). */
  lists: number[][] = [[]];
  /**
   * (list id, pair) → id of the list with the pair added; key listId * 2^24 + pair. Prefixes are
   * inserted in one fixed order, so a set of pairs is always reached by the same path and this
   * memo alone keeps every list unique.
   */
  extended = new Map<number, number>();

  addToList(listId: number, pair: number): number {
    const memoKey = listId * 0x1000000 + pair;
    let id = this.extended.get(memoKey);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push([...this.lists[listId]!, pair]);
      this.extended.set(memoKey, id);
    }
    return id;
  }

  newChunk(fill: number): number {
    const c = this.chunkCount++;
    if ((c + 1) << 8 > this.nodes.length) {
      const grown = new Int32Array(this.nodes.length * 2);
      grown.set(this.nodes);
      this.nodes = grown;
    }
    this.nodes.fill(fill, c << 8, (c + 1) << 8);
    return c;
  }

  /** Adds `pair` to every address under the entry (table, index). */
  cover(table: Int32Array, index: number, pair: number): void {
    const v = table[index]!;
    if (v >= TAIL) {
      const t = this.tails[v - TAIL]!;
      t.inside = this.addToList(t.inside, pair);
      t.outside = this.addToList(t.outside, pair);
    } else if (v >= 0) {
      table[index] = this.addToList(v, pair);
    } else {
      const base = ~v << 8;
      for (let k = 0; k < 256; k++) this.cover(this.nodes, base + k, pair);
    }
  }

  /** Places tail t at the entry for its prefix in chunk `chunk` (bits offset..offset+8). */
  placeTail(t: number, chunk: number, offset: number): void {
    const { prefix, inside } = this.tails[t]!;
    const base = chunk << 8;
    const span = offset + 8;
    if (prefix.length > span) {
      this.nodes[base + bitsAt(prefix.words, offset, 8)] = TAIL + t;
      return;
    }
    const free = span - prefix.length;
    const first = base + (bitsAt(prefix.words, offset, 8) & ~((1 << free) - 1));
    this.nodes.fill(inside, first, first + (1 << free));
  }

  insert(p: TriePrefix): void {
    let inRoot = true;
    let base = 0;
    let offset = 0;
    let width = 16;
    for (;;) {
      const table = inRoot ? this.root : this.nodes;
      const span = offset + width;
      if (p.length <= span) {
        const free = span - p.length;
        const first = base + (bitsAt(p.words, offset, width) & ~((1 << free) - 1));
        for (let k = 0; k < 1 << free; k++) this.cover(table, first + k, p.pair);
        return;
      }
      const index = base + bitsAt(p.words, offset, width);
      let v = table[index]!;
      if (v >= TAIL) {
        const t = this.tails[v - TAIL]!;
        const q = t.prefix;
        if (q.length === p.length && q.words.every((w, k) => w === p.words[k])) {
          t.inside = this.addToList(t.inside, p.pair);
          return;
        }
        // another prefix below this entry: push the tail one level down and go on
        const c = this.newChunk(t.outside);
        this.placeTail(v - TAIL, c, span);
        v = ~c;
        (inRoot ? this.root : this.nodes)[index] = v;
      } else if (v >= 0) {
        this.tails.push({ prefix: p, inside: this.addToList(v, p.pair), outside: v });
        table[index] = TAIL + this.tails.length - 1;
        return;
      }
      inRoot = false;
      base = ~v << 8;
      offset = span;
      width = 8;
    }
  }
}

/**
 * Builds the trie. Pair ids are ranks (lower is better); `pairSet[pair]` is the pair's set, whose
 * eligibility per port column is in `ports`. Prefixes are inserted shortest first, so a longer
 * prefix's leaves inherit the shorter ones.
 */
export function buildPrefixTrie(prefixes: readonly TriePrefix[], ports: PortTable, pairSet: Int32Array): PrefixTrie {
  if (prefixes.length >= 0x1000000) throw new RangeError('prefix-trie: more than 2^24 prefixes');
  const b = new TrieBuilder();
  const sorted = [...prefixes].sort((x, y) => x.length - y.length);
  for (const p of sorted) b.insert(p);
  const tailNet = new Uint32Array(4 * b.tails.length);
  const tailMask = new Uint32Array(4 * b.tails.length);
  const tailList = new Int32Array(2 * b.tails.length);
  b.tails.forEach((t, i) => {
    tailNet.set(t.prefix.words, 4 * i);
    tailMask.set(maskWords(t.prefix.length), 4 * i);
    tailList[2 * i] = t.inside;
    tailList[2 * i + 1] = t.outside;
  });
  const listStart = new Int32Array(b.lists.length + 1);
  let total = 0;
  b.lists.forEach((l, i) => {
    l.sort((x, y) => x - y);
    listStart[i] = total;
    total += l.length;
  });
  listStart[b.lists.length] = total;
  const listPairs = new Int32Array(total);
  const { columns, words, setBits } = ports;
  const listBest = new Int32Array(b.lists.length * columns).fill(-1);
  const open = new Uint32Array(words);
  b.lists.forEach((l, i) => {
    // ascending is best first: each column takes the first pair whose set lists it
    listPairs.set(l, listStart[i]!);
    open.fill(0xffffffff);
    for (const pair of l) {
      const base = pairSet[pair]! * words;
      for (let w = 0; w < words; w++) {
        let fresh = setBits[base + w]! & open[w]!;
        open[w] = open[w]! & ~fresh;
        while (fresh !== 0) {
          const bit = 31 - Math.clz32(fresh & -fresh);
          fresh &= fresh - 1;
          const column = w * 32 + bit;
          if (column < columns) listBest[i * columns + column] = pair;
        }
      }
    }
  });
  return { root: b.root, nodes: b.nodes.slice(0, b.chunkCount << 8), tailNet, tailMask, tailList, listStart, listPairs, columns, listBest };
}

export function trieBytes(t: PrefixTrie): number {
  return (
    t.root.byteLength +
    t.nodes.byteLength +
    t.tailNet.byteLength +
    t.tailMask.byteLength +
    t.tailList.byteLength +
    t.listStart.byteLength +
    t.listPairs.byteLength +
    t.listBest.byteLength
  );
}
