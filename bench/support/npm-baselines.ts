/**
 * The general-purpose npm matchers the engine is measured against, loaded with the same
 * prefixes and patterns: arkime-iptrie (native C longest-prefix match over text addresses) and
 * wildcard-match (one compiled glob per pattern, best match chosen as the engine does).
 */
import { createRequire } from 'node:module';
import wildcardMatch from 'wildcard-match';
import type { EndpointSet } from '../../src/core/types.js';

export interface IPTrie {
  add(address: string, prefixLength: number, value: unknown): void;
  /** The value of the longest prefix containing the address, or undefined. */
  find(address: string): unknown;
}

interface IPTrieModule {
  IPTrie: new () => IPTrie;
}

const require = createRequire(import.meta.url);

/** A trie holding every distinct prefix of the sets; the value is the prefix text. */
export function buildArkimeTrie(sets: readonly EndpointSet[]): IPTrie {
  const mod = require('arkime-iptrie') as IPTrieModule;
  const trie = new mod.IPTrie();
  const seen = new Set<string>();
  for (const s of sets) {
    for (const prefix of s.ips) {
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      const slash = prefix.indexOf('/');
      trie.add(prefix.slice(0, slash), Number(prefix.slice(slash + 1)), prefix);
    }
  }
  return trie;
}

const CATEGORY_RANK = { Optimize: 3, Allow: 2, Default: 1 } as const;

interface Entry {
  readonly pattern: string;
  readonly isMatch: (sample: string) => boolean;
  readonly exact: number;
  readonly literals: number;
  rank: number;
  setId: number;
}

export interface WildcardAnswer {
  readonly pattern: string;
  readonly setId: number;
}

/**
 * Host matching with wildcard-match: one matcher per distinct pattern (separator false, so `*`
 * crosses dots as in shExpMatch), every matcher tried, the best kept by the engine's
 * specific-first order (exact, literal characters, category, lower set id). No port filter:
 * comparable with host-only flows.
 */
export class WildcardScan {
  private readonly entries: Entry[] = [];

  constructor(sets: readonly EndpointSet[]) {
    const byPattern = new Map<string, Entry>();
    for (const s of sets) {
      for (const pattern of s.urls) {
        const rank = CATEGORY_RANK[s.category];
        const found = byPattern.get(pattern);
        if (found) {
          if (rank > found.rank || (rank === found.rank && s.id < found.setId)) {
            found.rank = rank;
            found.setId = s.id;
          }
          continue;
        }
        const entry: Entry = {
          pattern,
          isMatch: wildcardMatch(pattern, { separator: false }),
          exact: pattern.includes('*') ? 0 : 1,
          literals: pattern.replaceAll('*', '').length,
          rank,
          setId: s.id,
        };
        byPattern.set(pattern, entry);
        this.entries.push(entry);
      }
    }
  }

  get size(): number {
    return this.entries.length;
  }

  best(host: string): WildcardAnswer | null {
    let best: Entry | null = null;
    for (const e of this.entries) {
      if (!e.isMatch(host)) continue;
      if (
        best === null ||
        e.exact > best.exact ||
        (e.exact === best.exact &&
          (e.literals > best.literals ||
            (e.literals === best.literals && (e.rank > best.rank || (e.rank === best.rank && e.setId < best.setId)))))
      ) {
        best = e;
      }
    }
    return best === null ? null : { pattern: best.pattern, setId: best.setId };
  }
}
