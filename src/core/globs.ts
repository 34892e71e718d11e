/**
 * Microsoft's host patterns are globs: `*` is any run of characters, dots included, anchored at
 * both ends. The engine, explain and the PAC exporter all read them through these two functions.
 */

/** The glob as an anchored RegExp; every other character is literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Characters other than `*`: the specificity of a wildcard pattern. */
export function literalCount(pattern: string): number {
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === 42) stars++;
  return pattern.length - stars;
}
