import type { Category, Precedence } from '../types.js';

/**
 * Precedence, decided once at compile time: pairs are sorted best first and a pair's id is its
 * rank, so at lookup the best candidate is simply the lowest eligible id.
 *
 * specific-first (default; Microsoft's PAC generator): exact host > wildcard; more literal
 * (non-`*`) characters > fewer; longer prefix > shorter; then Optimize > Allow > Default; then lower set id.
 * category-first (the docs' wording): category first, then the same specificity order, then set id.
 */
export const CATEGORY_RANK: Readonly<Record<Category, number>> = { Optimize: 0, Allow: 1, Default: 2 };

export interface HostPairKey {
  readonly pattern: string;
  readonly category: Category;
  readonly setId: number;
}

export interface IpPairKey {
  readonly length: number;
  readonly category: Category;
  readonly setId: number;
}

/** Characters other than `*`; an exact host (no `*`) outranks any wildcard whatever its length. */
function hostSpecificity(pattern: string): number {
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === 42) stars++;
  return stars === 0 ? 1_000 : pattern.length - stars;
}

export function compareHostPairs(mode: Precedence): (a: HostPairKey, b: HostPairKey) => number {
  return (a, b) => {
    const spec = hostSpecificity(b.pattern) - hostSpecificity(a.pattern);
    const cat = CATEGORY_RANK[a.category] - CATEGORY_RANK[b.category];
    const first = mode === 'specific-first' ? spec || cat : cat || spec;
    return first || a.setId - b.setId || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0);
  };
}

export function compareIpPairs(mode: Precedence): (a: IpPairKey, b: IpPairKey) => number {
  return (a, b) => {
    const spec = b.length - a.length;
    const cat = CATEGORY_RANK[a.category] - CATEGORY_RANK[b.category];
    const first = mode === 'specific-first' ? spec || cat : cat || spec;
    return first || a.setId - b.setId;
  };
}
