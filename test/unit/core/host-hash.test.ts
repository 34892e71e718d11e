import { describe, expect, it } from 'vitest';
import { forwardHash, forwardHashRange, reverseHash } from '../../../src/core/host-hash.js';
import { HOST_DOTS, normalizeHost } from '../../../src/match/normalize-host.js';
import { buildHostMatcher } from '../../../src/compile/host-matcher.js';

const HOSTS = ['outlook.office.com', 'Teams.Microsoft.COM.', 'a.b.c.d.e.f.g.h', 'x-y_z.sharepoint.com', 'autodiscover.contoso.onmicrosoft.com', 'single'];

describe('the host hash (src/core/host-hash.ts) and its inlined twins agree', () => {
  it('is 32-bit FNV-1a (the published test vectors)', () => {
    expect(forwardHash('') >>> 0).toBe(0x811c9dc5);
    expect(forwardHash('a') >>> 0).toBe(0xe40c292c);
    expect(forwardHash('foobar') >>> 0).toBe(0xbf9cf968);
    expect(reverseHash('raboof') >>> 0).toBe(0xbf9cf968);
    expect(forwardHashRange('xxfoobarxx', 2, 8)).toBe(forwardHash('foobar'));
  });

  it("normalizeHost's fused hash of each dotted suffix equals reverseHash of that suffix", () => {
    for (const raw of HOSTS) {
      const host = normalizeHost(raw);
      expect(typeof host).toBe('string');
      const h = host as string;
      const dots = [...h].flatMap((c, i) => (c === '.' ? [i] : [])).reverse();
      expect(HOST_DOTS.count).toBe(dots.length);
      for (let k = 0; k < dots.length; k++) {
        expect(HOST_DOTS.at[k]).toBe(dots[k]);
        expect(HOST_DOTS.hash[k]).toBe(reverseHash(h.slice(dots[k])));
      }
    }
  });

  it('compile files suffix and head keys under the same hashes', () => {
    const m = buildHostMatcher(new Map([['*.office.com', [0]], ['x.example.*', [1]]]));
    const slot = (t: typeof m.suffixes, key: string): boolean => t.entries.some((e, i) => e.key === key && [...t.slotEntry].some((v, s) => v === i + 1 && t.slotHash[s] === (t === m.suffixes ? reverseHash(key) : forwardHash(key))));
    expect(slot(m.suffixes, '.office.com')).toBe(true);
    expect(slot(m.heads, 'x.')).toBe(true);
    // the lookup skips any host part whose length no key has
    expect([...m.suffixes.lengths.keys()].filter((l) => m.suffixes.lengths[l] === 1)).toEqual(['.office.com'.length]);
    expect([...m.heads.lengths.keys()].filter((l) => m.heads.lengths[l] === 1)).toEqual(['x.'.length]);
  });
});
