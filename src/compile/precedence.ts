import { literalCount } from '../core/globs.js';
import type { Category, Precedence } from '../core/types.js';

/**
 * Precedence, decided once at compile time: pairs are sorted best first and a pair's id is its
 * rank, so at lookup the best candidate is simply the lowest eligible id.
 *
 * specific-first (default; Microsoft's PAC generator): exact host > wildcard; more literal
 * (non-`*`) characters > fewer; longer prefix > shorter; then Optimize > Allow > Default; then lower set id.
 * category-first (the docs' wording): category first, then the same specificity order, then set id.
 * A last tie (two patterns of one set) goes to the pattern that sorts first.
 */
export const CATEGORY_RANK: Readonly<Record<Category, number>> = { Optimize: 0, Allow: 1, Default: 2 };

/** What a pair is ranked by; computed once per pair so sorting compares numbers only. */
export interface RankKey {
  /** Higher is more specific: literal characters of a pattern (exact hosts above all), or prefix length. */
  readonly specificity: number;
  readonly category: number;
  readonly setId: number;
  /** Final tie-break for patterns; '' for prefixes. */
  readonly text: string;
}

/** Literal characters; an exact host (no `*`) outranks any wildcard whatever its length. */
export function hostSpecificity(pattern: string): number {
  return pattern.includes('*') ? literalCount(pattern) : 1_000;
}

export function compareRank(mode: Precedence): (a: RankKey, b: RankKey) => number {
  return (a, b) => {
    const spec = b.specificity - a.specificity;
    const cat = a.category - b.category;
    const first = mode === 'specific-first' ? spec || cat : cat || spec;
    return first || a.setId - b.setId || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  };
}
