/** mulberry32: a small seeded PRNG, so that two runs with one seed send the same vectors. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi], both inclusive. */
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    let r = 0n;
    // 32 random bits at a time, enough bits to cover the span, then reduce.
    for (let bits = 0n; 1n << bits < span * 256n; bits += 32n) r = (r << 32n) | BigInt(Math.floor(this.next() * 4294967296));
    return lo + (r % span);
  }
}
