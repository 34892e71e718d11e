import { addressesNotIn, intervalOf, intervalsSize, mergeIntervals, type Interval } from '../core/prefixes.js';
import type { EndpointSet, Snapshot } from '../core/types.js';
import type { Coverage, CoverageScope, FamilyCoverage, HostCoverage } from './diff-types.js';
import { parsePrefix } from './parse-prefix.js';

/**
 * How much address space and how many host patterns a new version loses against an old one: the
 * updater's shrink gate reads it, and every diff carries it.
 */

// ---- address space ----

function intervals(sets: readonly EndpointSet[], family: 4 | 6): Interval[] {
  const out: Interval[] = [];
  for (const s of sets) {
    for (const ip of s.ips) {
      const p = parsePrefix(ip, s.id);
      if (p.family === family) out.push(intervalOf(family, p.network, p.length));
    }
  }
  return mergeIntervals(out);
}

function familyCoverage(before: readonly EndpointSet[], after: readonly EndpointSet[], family: 4 | 6): FamilyCoverage {
  const a = intervals(before, family);
  const b = intervals(after, family);
  const count = (sets: readonly EndpointSet[]): number =>
    new Set(sets.flatMap((s) => s.ips.filter((ip) => ip.includes(':') === (family === 6)))).size;
  const total = intervalsSize(a);
  const lost = addressesNotIn(a, b);
  return {
    prefixes: { before: count(before), after: count(after) },
    addresses: { before: total.toString(), after: intervalsSize(b).toString(), lost: lost.toString() },
    lostShare: total === 0n ? 0 : ratio(lost, total),
  };
}

/** lost/total as a float with 1e-9 resolution; exact enough for a percentage gate. */
function ratio(lost: bigint, total: bigint): number {
  return Number((lost * 1_000_000_000n) / total) / 1e9;
}

// ---- host patterns ----

/**
 * True when every host matched by `p` is matched by `q` (both shExpMatch globs, `*` any run).
 * `p` is read as a literal string in which its own `*` can only be absorbed by a `*` of `q`:
 * sound (never claims coverage that is not there), and exact for the patterns Microsoft publishes.
 */
export function patternCovers(q: string, p: string): boolean {
  if (q === p) return true;
  // Iterative glob match with backtracking to the last star: O(|q|·|p|) worst case.
  let qi = 0;
  let pi = 0;
  let starQ = -1;
  let starP = 0;
  while (pi < p.length) {
    const qc = q[qi];
    if (qc === '*') {
      starQ = qi++;
      starP = pi;
    } else if (qc !== undefined && qc === p[pi] && p[pi] !== '*') {
      qi++;
      pi++;
    } else if (starQ >= 0) {
      qi = starQ + 1;
      pi = ++starP;
    } else {
      return false;
    }
  }
  while (q[qi] === '*') qi++;
  return qi === q.length;
}

function hostCoverage(before: readonly EndpointSet[], after: readonly EndpointSet[]): HostCoverage {
  const a = new Set(before.flatMap((s) => s.urls));
  const b = new Set(after.flatMap((s) => s.urls));
  const wild = [...b].filter((u) => u.includes('*'));
  let lost = 0;
  for (const p of a) {
    if (b.has(p)) continue;
    if (!wild.some((q) => patternCovers(q, p))) lost++;
  }
  return { patterns: { before: a.size, after: b.size }, lost, lostShare: a.size === 0 ? 0 : lost / a.size };
}

function inScope(sets: readonly EndpointSet[], scope: CoverageScope): readonly EndpointSet[] {
  const areas = scope.serviceAreas?.map((a) => a.toLowerCase());
  if (areas === undefined || areas.length === 0) return sets;
  return sets.filter((s) => areas.includes(s.serviceArea.toLowerCase()));
}

/**
 * How much of what `before` covers `after` no longer covers: addresses per family (union of all
 * prefixes, so consolidation into larger prefixes loses nothing) and host patterns. With a scope,
 * `before` is measured only for what `after` was asked for; with noIPv6 the IPv6 share is 0.
 */
export function measureCoverage(before: Snapshot, after: Snapshot, scope: CoverageScope = {}): Coverage {
  const a = inScope(before.sets, scope);
  const b = inScope(after.sets, scope);
  const ipv6 = familyCoverage(a, b, 6);
  return {
    ipv4: familyCoverage(a, b, 4),
    ipv6: scope.noIPv6 === true ? { ...ipv6, lostShare: 0 } : ipv6,
    hosts: hostCoverage(a, b),
  };
}
