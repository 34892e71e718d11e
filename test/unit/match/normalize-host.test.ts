/**
 * normalizeHost has a fast path for lower-case ASCII names and a full walk for everything else.
 * The two must give the same answer, error code and HOST_DOTS (dots and suffix hashes) on every
 * host; the full walk alone is what the error-code tests of flow-semantics.test.ts pin down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOST_BAD, HOST_HAS_PORT, HOST_IS_IP, HOST_TOO_LONG, HOST_DOTS, normalizeFull, normalizeHost } from '../../../src/match/normalize-host.js';

interface Seen {
  result: string | number;
  dots: number[];
  hashes: number[];
}

function run(f: (raw: string) => string | number, raw: string): Seen {
  HOST_DOTS.count = -1;
  const result = f(raw);
  if (typeof result === 'number') return { result, dots: [], hashes: [] };
  const n = HOST_DOTS.count;
  return { result, dots: [...HOST_DOTS.at.subarray(0, n)], hashes: [...HOST_DOTS.hash.subarray(0, n)] };
}

const label = (n: number, c = 'a'): string => c.repeat(n);
const EDGES = [
  'outlook.office.com',
  'outlook.office.com.',
  'outlook.office.com..',
  'Outlook.office.com',
  'a',
  '',
  '.',
  '..',
  '.a',
  'a.',
  'a..b',
  '-a.b',
  'a_b.c-d',
  '1.2.3.4',
  '1.2.3.4.',
  '1.2.3',
  '999.1.1.1',
  '1.2.3.4a',
  '1-2.3.4.5',
  '0',
  'a.b:443',
  '[::1]:443',
  '::1',
  'é.com',
  'a\u0130.com',
  `${label(63)}.com`,
  `${label(64)}.com`,
  `x.${label(63)}`,
  `x.${label(64)}`,
  label(63),
  label(64),
  // 253 and 254 characters, with and without the trailing dot
  `${label(63)}.${label(63)}.${label(63)}.${label(61)}`,
  `${label(63)}.${label(63)}.${label(63)}.${label(61)}.`,
  `${label(63)}.${label(63)}.${label(63)}.${label(62)}`,
  `${label(63)}.${label(63)}.${label(63)}.${label(62)}.`,
  `${label(63, '1')}.${label(63, '2')}.${label(63, '3')}.${label(61, '4')}`,
];

describe('normalizeHost: the lower-case fast path agrees with the full walk', () => {
  it.each(EDGES)('%j', (raw) => {
    expect(run(normalizeHost, raw)).toEqual(run(normalizeFull, raw));
  });

  it('on generated hosts near every boundary (labels 0-64, names up to 260, any character class)', () => {
    const ch = fc.constantFrom('a', 'z', '0', '9', '-', '_', '.', '.', 'A', 'Z', ':', '[', ']', ' ', '/', '*', '\u00e9', '\u0130');
    const lbl = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '0', '-'), minLength: 0, maxLength: 65 }), fc.string({ unit: ch, maxLength: 8 }));
    const host = fc.oneof(fc.array(lbl, { maxLength: 8 }).map((ls) => ls.join('.')), fc.string({ unit: ch, maxLength: 260 }));
    fc.assert(
      fc.property(host, fc.boolean(), (raw, trailing) => {
        const h = trailing ? `${raw}.` : raw;
        expect(run(normalizeHost, h)).toEqual(run(normalizeFull, h));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every error code reachable', () => {
    expect(normalizeHost('a..b')).toBe(HOST_BAD);
    expect(normalizeHost('a.b:443')).toBe(HOST_HAS_PORT);
    expect(normalizeHost('10.0.0.1')).toBe(HOST_IS_IP);
    expect(normalizeHost(`${label(63)}.${label(63)}.${label(63)}.${label(62)}`)).toBe(HOST_TOO_LONG);
  });
});
