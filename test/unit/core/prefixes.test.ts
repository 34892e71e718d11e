import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressesNotIn, complement, intervalOf, intervalsSize, mergeIntervals, type Interval } from '../../../src/core/prefixes.js';

// Small address spaces so a brute-force set is the oracle.
const interval = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 })).map(([lo, w]): Interval => ({ lo: BigInt(lo), hi: BigInt(lo + w) }));
const members = (list: readonly Interval[]): Set<number> => {
  const s = new Set<number>();
  for (const iv of list) for (let a = Number(iv.lo); a <= Number(iv.hi); a++) s.add(a);
  return s;
};

describe('prefix intervals: one inclusive [lo, hi] convention', () => {
  it('intervalOf covers exactly the prefix', () => {
    expect(intervalOf(4, 0x0a000000n, 8)).toEqual({ lo: 0x0a000000n, hi: 0x0affffffn });
    expect(intervalOf(6, 0n, 0)).toEqual({ lo: 0n, hi: (1n << 128n) - 1n });
    expect(intervalOf(4, 0x01020304n, 32)).toEqual({ lo: 0x01020304n, hi: 0x01020304n });
  });

  it('size and |a \\ b| agree with sets of addresses', () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 8 }), fc.array(interval, { maxLength: 8 }), (la, lb) => {
        const a = mergeIntervals(la);
        const b = mergeIntervals(lb);
        const sa = members(a);
        const sb = members(b);
        expect(intervalsSize(a)).toBe(BigInt(sa.size));
        expect(addressesNotIn(a, b)).toBe(BigInt([...sa].filter((x) => !sb.has(x)).length));
        // merged lists are sorted, disjoint and not adjacent
        for (let k = 1; k < a.length; k++) expect(a[k]!.lo > a[k - 1]!.hi + 1n).toBe(true);
      }),
    );
  });

  it('the complement of a merged list covers the rest of the family', () => {
    const merged = mergeIntervals([intervalOf(4, 0x0a000000n, 8), intervalOf(4, 0xc0a80000n, 16)]);
    const rest = complement(merged, 4);
    expect(intervalsSize(merged) + intervalsSize(rest)).toBe(1n << 32n);
    expect(addressesNotIn(merged, rest)).toBe(intervalsSize(merged));
  });
});
