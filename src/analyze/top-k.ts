/**
 * The heaviest keys of an unbounded stream in bounded memory: weighted Space-Saving (Metwally,
 * Agrawal, El Abbadi 2005). Up to `capacity` keys are counted; a new key arriving when the table
 * is full takes the slot of the lightest key and inherits its weight as `error`. Any key whose
 * true weight exceeds total/capacity is guaranteed to be in the table; a key's `weight` over-
 * states its true weight by at most its `error`. While nothing was evicted every count is exact.
 *
 * Layout (slot = one tracked key):
 *   keys[slot]     the key
 *   tags[slot]     a caller's value attached on insert (e.g. the shared Classification)
 *   weight[slot]   ranking weight, possibly overstated by error[slot]
 *   error[slot]    weight inherited from the evicted key (0 if none)
 *   flows[slot]    flows counted since this key took the slot (a lower bound)
 *   bytes[slot]    bytes counted since this key took the slot (a lower bound)
 *   heap[i]        slots as a binary min-heap on weight; pos[slot] is the slot's heap index
 */

/**
 * A copy of `s` that does not keep its parent alive. A line from readline is a slice of the
 * decoded chunk (256 KiB), and a cell is a slice of the line: a key kept in a table would pin the
 * whole chunk. Concatenating then slicing makes V8 flatten into a new string of the key's size.
 */
export function detach(s: string): string {
  return (' ' + s).slice(1);
}

export interface TopEntry<T> {
  readonly key: string;
  readonly tag: T;
  readonly flows: number;
  readonly bytes: number;
  /** How much weight the key may have had before it entered the table; 0 means exact. */
  readonly error: number;
}

export class TopK<T> {
  readonly capacity: number;
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly tags: T[] = [];
  private readonly weight: Float64Array;
  private readonly error: Float64Array;
  private readonly flows: Float64Array;
  private readonly bytes: Float64Array;
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private size = 0;
  /** Keys that lost their slot to a newer key. */
  evictions = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`TopK capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.weight = new Float64Array(capacity);
    this.error = new Float64Array(capacity);
    this.flows = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** True while no key was ever evicted: every count is exact. */
  get exact(): boolean {
    return this.evictions === 0;
  }

  /** Counts one flow of `bytes` for `key`, ranked by `weight`. `tag` is kept from the key's first add. */
  add(lineKey: string, bytes: number, weight: number, tag: T): void {
    let slot = this.index.get(lineKey);
    if (slot !== undefined) {
      this.weight[slot]! += weight;
      this.flows[slot]!++;
      this.bytes[slot]! += bytes;
      this.siftDown(this.pos[slot]!);
      return;
    }
    const key = detach(lineKey);
    if (this.size < this.capacity) {
      slot = this.size++;
      this.keys.push(key);
      this.tags.push(tag);
      this.weight[slot] = weight;
      this.error[slot] = 0;
      this.heap[slot] = slot;
      this.pos[slot] = slot;
      this.siftUp(slot);
    } else {
      slot = this.heap[0]!;
      this.index.delete(this.keys[slot]!);
      this.evictions++;
      this.keys[slot] = key;
      this.tags[slot] = tag;
      this.error[slot] = this.weight[slot]!;
      this.weight[slot]! += weight;
      this.siftDown(0);
    }
    this.flows[slot] = 1;
    this.bytes[slot] = bytes;
    this.index.set(key, slot);
  }

  /** The `n` heaviest keys by weight, heaviest first (ties by key, for stable output). */
  top(n: number): TopEntry<T>[] {
    const slots: number[] = [];
    for (let s = 0; s < this.size; s++) slots.push(s);
    slots.sort((a, b) => this.weight[b]! - this.weight[a]! || (this.keys[a]! < this.keys[b]! ? -1 : 1));
    return slots.slice(0, n).map((s) => ({
      key: this.keys[s]!,
      tag: this.tags[s]!,
      flows: this.flows[s]!,
      bytes: this.bytes[s]!,
      error: this.error[s]!,
    }));
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const w = this.weight;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (w[p]! <= w[slot]!) break;
      heap[i] = p;
      this.pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const w = this.weight;
    const n = this.size;
    const slot = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && w[heap[right]!]! < w[heap[child]!]!) child = right;
      const c = heap[child]!;
      if (w[c]! >= w[slot]!) break;
      heap[i] = c;
      this.pos[c] = i;
      i = child;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }
}
