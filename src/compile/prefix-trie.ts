/**
 * Longest-prefix match on typed arrays: a multibit trie with a 16-bit first stride and 8-bit
 * strides below (DIR-16-8-8 for IPv4; 16-8-8-… for IPv6). A leaf holds the id of a candidate
 * list: every (set, prefix) pair whose prefix contains the addresses of that leaf, sorted by
 * precedence, so a lookup is at most 3 (IPv4) array reads and then a short eligibility scan.
 * DIR-24-8 would be one read fewer but 64 MiB for IPv4 alone, over the 10 MB budget.
 *
 * Layout:
 *   root       Int32Array(65536)      entry for the top 16 bits
 *   nodes      Int32Array(256 * n)    child chunks of 256 entries, chunk c at [c << 8]
 *   entry ≥ 0                         leaf: candidate list id (0 = the empty list)
 *   entry < 0                         child chunk ~entry
 *   listStart  Int32Array(lists + 1)  candidate list id → [listStart[id], listStart[id+1]) in listPairs
 *   listPairs  Int32Array             ip pair ids, best rank first
 *   listBest   Int32Array(lists * columns)  [id * columns + column] → best eligible pair, or -1
 *                                     (columns: see port-table.ts), so a lookup needs no scan at all
 */
export interface PrefixTrie {
  readonly root: Int32Array;
  readonly nodes: Int32Array;
  readonly listStart: Int32Array;
  readonly listPairs: Int32Array;
  readonly columns: number;
  readonly listBest: Int32Array;
}

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

class TrieBuilder {
  root = new Int32Array(65536);
  nodes = new Int32Array(256 * 64);
  chunkCount = 0;
  lists: number[][] = [[]];
  listIds = new Map<string, number>([['', 0]]);
  /** memo of (list id, pair) → list id with the pair added */
  extended = new Map<string, number>();

  addToList(listId: number, pair: number): number {
    const memoKey = `${listId}+${pair}`;
    const hit = this.extended.get(memoKey);
    if (hit !== undefined) return hit;
    const list = [...this.lists[listId]!, pair].sort((a, b) => a - b);
    const key = list.join(',');
    let id = this.listIds.get(key);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(list);
      this.listIds.set(key, id);
    }
    this.extended.set(memoKey, id);
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

  /** Adds `pair` to every leaf under the entry (table, index), descending into child chunks. */
  cover(table: Int32Array, index: number, pair: number): void {
    const v = table[index]!;
    if (v >= 0) {
      table[index] = this.addToList(v, pair);
      return;
    }
    const base = ~v << 8;
    for (let k = 0; k < 256; k++) this.cover(this.nodes, base + k, pair);
  }

  insert(p: TriePrefix): void {
    let table = this.root;
    let base = 0;
    let offset = 0;
    let width = 16;
    for (;;) {
      const span = offset + width;
      if (p.length <= span) {
        const free = span - p.length;
        const first = base + (bitsAt(p.words, offset, width) & ~((1 << free) - 1));
        for (let k = 0; k < 1 << free; k++) this.cover(table, first + k, p.pair);
        return;
      }
      const index = base + bitsAt(p.words, offset, width);
      let v = table[index]!;
      if (v >= 0) {
        v = ~this.newChunk(v);
        // newChunk may have replaced this.nodes; write through the current array.
        (table === this.root ? this.root : this.nodes)[index] = v;
      }
      table = this.nodes;
      base = ~v << 8;
      offset = span;
      width = 8;
    }
  }
}

/**
 * Builds the trie. Pair ids are ranks (lower is better); `eligible(pair, column)` says whether the
 * pair's set is eligible in a port column. Prefixes are inserted shortest first, so a longer
 * prefix's leaves inherit the shorter ones.
 */
export function buildPrefixTrie(prefixes: readonly TriePrefix[], columns: number, eligible: (pair: number, column: number) => boolean): PrefixTrie {
  const b = new TrieBuilder();
  const sorted = [...prefixes].sort((x, y) => x.length - y.length);
  for (const p of sorted) b.insert(p);
  const listStart = new Int32Array(b.lists.length + 1);
  let total = 0;
  b.lists.forEach((l, i) => {
    listStart[i] = total;
    total += l.length;
  });
  listStart[b.lists.length] = total;
  const listPairs = new Int32Array(total);
  const listBest = new Int32Array(b.lists.length * columns).fill(-1);
  b.lists.forEach((l, i) => {
    // the lists are already sorted ascending, which is best first
    listPairs.set(l, listStart[i]!);
    for (let column = 0; column < columns; column++) {
      const best = l.find((pair) => eligible(pair, column));
      if (best !== undefined) listBest[i * columns + column] = best;
    }
  });
  return { root: b.root, nodes: b.nodes.slice(0, b.chunkCount << 8), listStart, listPairs, columns, listBest };
}

export function trieBytes(t: PrefixTrie): number {
  return t.root.byteLength + t.nodes.byteLength + t.listStart.byteLength + t.listPairs.byteLength + t.listBest.byteLength;
}
