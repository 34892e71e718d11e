/**
 * The open connections of the joiner (connection-joiner.ts) in typed arrays: one slot per
 * connection, found by its turned 5-tuple, kept in order of last activity (a doubly linked list,
 * oldest at `head`). An IPv4 5-tuple is keyed by numbers (addresses as uint32, ports packed in
 * one word) in a hash table of chained slots: a record costs no key string, no entry object and
 * nothing that survives into the old generation. Other keys (IPv6, unusual ports) go through a
 * Map of key strings onto the same slots. Measured (bench/analyze/formats.bench.ts, aws-vpc): the
 * Map of string keys and entry objects this replaces was 17% of the time and most of the 19% GC.
 */

const NIL = -1;

export class ConnectionTable {
  size = 0;
  /** Oldest slot, NIL when empty; follow `next` towards the newest. */
  head = NIL;
  private tail = NIL;
  private slots = 0;
  private prev = new Int32Array(0);
  next = new Int32Array(0);
  private chain = new Int32Array(0);
  private buckets = new Int32Array(0);
  private mask = 0;
  private free: number[] = [];
  // Numeric keys: source and destination IPv4, sport << 16 | dport, protocol code | 4 when a source is known.
  private kSrc = new Uint32Array(0);
  private kDst = new Uint32Array(0);
  private kPorts = new Uint32Array(0);
  private kMeta = new Uint8Array(0);
  /** The key of a slot keyed by text, else undefined. */
  private strKey: Array<string | undefined> = [];
  private readonly strIndex = new Map<string, number>();
  // Values of each open connection.
  bytes = new Float64Array(0);
  end = new Float64Array(0);
  line = new Float64Array(0);
  internal = new Uint8Array(0);
  /** Destination text for slots keyed by text; undefined for numeric keys (formatted from kDst). */
  ip: Array<string | undefined> = [];
  host: Array<string | undefined> = [];
  port: Array<string | number | undefined> = [];
  protocol: Array<'tcp' | 'udp' | undefined> = [];
  site: string[] = [];
  path: string[] = [];
  file: string[] = [];

  constructor(private readonly maxSlots: number) {}

  /** Destination IPv4 of a numerically keyed slot, -1 for a slot keyed by text. */
  dst4(slot: number): number {
    return this.strKey[slot] === undefined ? this.kDst[slot]! : -1;
  }

  private hash(meta: number, src: number, dst: number, ports: number): number {
    let h = Math.imul(src ^ meta, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 13)) & this.mask;
  }

  findV4(meta: number, src: number, dst: number, ports: number): number {
    if (this.slots === 0) return NIL;
    for (let s = this.buckets[this.hash(meta, src, dst, ports)]!; s !== NIL; s = this.chain[s]!) {
      if (this.kDst[s] === dst && this.kPorts[s] === ports && this.kSrc[s] === src && this.kMeta[s] === meta) return s;
    }
    return NIL;
  }

  findText(key: string): number {
    return this.strIndex.get(key) ?? NIL;
  }

  /** A new slot at the newest end, keyed by numbers. */
  addV4(meta: number, src: number, dst: number, ports: number): number {
    const s = this.take();
    this.kMeta[s] = meta;
    this.kSrc[s] = src;
    this.kDst[s] = dst;
    this.kPorts[s] = ports;
    this.strKey[s] = undefined;
    const b = this.hash(meta, src, dst, ports);
    this.chain[s] = this.buckets[b]!;
    this.buckets[b] = s;
    return s;
  }

  /** A new slot at the newest end, keyed by text (the key must not pin a log line: detach it). */
  addText(key: string): number {
    const s = this.take();
    this.strKey[s] = key;
    this.strIndex.set(key, s);
    return s;
  }

  /** Makes `s` the newest. */
  touch(s: number): void {
    if (s === this.tail) return;
    this.unlink(s);
    this.append(s);
  }

  /** Drops slot `s` (its values stay readable until the next add). */
  remove(s: number): void {
    this.unlink(s);
    const key = this.strKey[s];
    if (key !== undefined) {
      this.strIndex.delete(key);
      this.strKey[s] = undefined;
    } else {
      const b = this.hash(this.kMeta[s]!, this.kSrc[s]!, this.kDst[s]!, this.kPorts[s]!);
      let p = this.buckets[b]!;
      if (p === s) this.buckets[b] = this.chain[s]!;
      else {
        while (this.chain[p] !== s) p = this.chain[p]!;
        this.chain[p] = this.chain[s]!;
      }
    }
    // Strings are let go at once: a dropped slot must not keep a host or site alive.
    this.host[s] = undefined;
    this.ip[s] = undefined;
    this.free.push(s);
    this.size--;
  }

  private take(): number {
    if (this.free.length === 0) this.grow();
    const s = this.free.pop()!;
    this.append(s);
    this.size++;
    return s;
  }

  private append(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = NIL;
    if (this.tail === NIL) this.head = s;
    else this.next[this.tail] = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p === NIL) this.head = n;
    else this.next[p] = n;
    if (n === NIL) this.tail = p;
    else this.prev[n] = p;
  }

  /** Doubles the slots (from 1,024 up to the capacity): a log that joins little allocates little. */
  private grow(): void {
    const old = this.slots;
    const n = Math.max(1, Math.min(this.maxSlots, Math.max(1024, old * 2)));
    if (n <= old) throw new Error('connection table full');
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const gu32 = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    const gf64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.prev = g32(this.prev);
    this.next = g32(this.next);
    this.chain = g32(this.chain);
    this.kSrc = gu32(this.kSrc);
    this.kDst = gu32(this.kDst);
    this.kPorts = gu32(this.kPorts);
    const meta = new Uint8Array(n);
    meta.set(this.kMeta);
    this.kMeta = meta;
    const internal = new Uint8Array(n);
    internal.set(this.internal);
    this.internal = internal;
    this.bytes = gf64(this.bytes);
    this.end = gf64(this.end);
    this.line = gf64(this.line);
    for (let s = n - 1; s >= old; s--) this.free.push(s);
    this.slots = n;
    // Buckets at least twice the slots, rehashed (only numeric keys live in them).
    let size = 1024;
    while (size < n * 2) size *= 2;
    this.buckets = new Int32Array(size).fill(NIL);
    this.mask = size - 1;
    for (let s = this.head; s !== NIL; s = this.next[s]!) {
      if (this.strKey[s] !== undefined) continue;
      const b = this.hash(this.kMeta[s]!, this.kSrc[s]!, this.kDst[s]!, this.kPorts[s]!);
      this.chain[s] = this.buckets[b]!;
      this.buckets[b] = s;
    }
  }
}
