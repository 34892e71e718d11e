import { parsePortList, type CategoryName, type EndpointSetView, type SnapshotView } from '../../plugin-api/plugin.js';
import { mergeIntervals, prefixInterval, segmentWinners, type Family, type Interval, type Ranked } from '../core/prefixes.js';

/**
 * The engine's IP verdict (specific-first: longest prefix, then the better category) as address
 * sets, one per category and family, for the firewall exporters (nftables, ipset). The sets of a
 * family are disjoint: an address is in the Optimize set exactly when the engine answers Optimize
 * for a flow to it, so a longer Default prefix inside an Optimize one is cut out of the Optimize set.
 *
 * Port-aware: for a flow with a protocol and a port only the sets listing that port are eligible,
 * so the verdict depends on the port. The port space of each protocol is cut where some set's
 * port list starts or ends; within one segment the eligible sets, and so the verdict, are fixed.
 * Adjacent segments with the same verdict are joined.
 */

export const CATEGORY_ORDER: readonly CategoryName[] = ['Optimize', 'Allow', 'Default'];
const RANK: Readonly<Record<CategoryName, number>> = { Optimize: 0, Allow: 1, Default: 2 };

export type VerdictSets = Record<CategoryName, Record<Family, Interval[]>>;

export type Protocol = 'tcp' | 'udp';

export interface PortSegment {
  readonly protocol: Protocol;
  readonly lo: number;
  readonly hi: number;
  readonly sets: VerdictSets;
}

function emptySets(): VerdictSets {
  return { Optimize: { 4: [], 6: [] }, Allow: { 4: [], 6: [] }, Default: { 4: [], 6: [] } };
}

/** The winner of each piece of the family's address space (segmentWinners); merged per category. */
function verdictOf(prefixes: readonly Ranked[], family: Family, into: VerdictSets): void {
  const picked: Interval[][] = [[], [], []];
  for (const { winner, interval } of segmentWinners(prefixes.filter((p) => p.family === family))) picked[winner.rank]!.push(interval);
  for (const c of CATEGORY_ORDER) into[c][family] = mergeIntervals(picked[RANK[c]]!);
}

function rankedPrefixes(sets: readonly EndpointSetView[]): Ranked[] {
  return sets.flatMap((s) => s.ips.map((ip) => ({ ...prefixInterval(ip), rank: RANK[s.category] })));
}

/** The IP verdict of a flow with no port and no protocol (every set eligible). */
export function verdictSets(view: SnapshotView): VerdictSets {
  const out = emptySets();
  const prefixes = rankedPrefixes(view.sets);
  verdictOf(prefixes, 4, out);
  verdictOf(prefixes, 6, out);
  return out;
}

function sameSets(a: VerdictSets, b: VerdictSets): boolean {
  const key = (v: VerdictSets): string => CATEGORY_ORDER.map((c) => [4, 6].map((f) => v[c][f as Family].map((iv) => `${iv.lo}-${iv.hi}`).join(',')).join('|')).join(';');
  return key(a) === key(b);
}

/** The verdict per protocol and port segment, for flows that give both; segments no set lists are left out. */
export function portSegments(view: SnapshotView): PortSegment[] {
  const out: PortSegment[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const withPorts = view.sets
      .filter((s) => s.ips.length > 0)
      .map((s) => ({ set: s, ranges: parsePortList(protocol === 'tcp' ? s.tcpPorts : s.udpPorts) }))
      .filter((x) => x.ranges.length > 0);
    const bounds = [...new Set(withPorts.flatMap((x) => x.ranges.flatMap(([lo, hi]) => [lo, hi + 1])))].sort((a, b) => a - b);
    let last: PortSegment | undefined;
    for (let k = 0; k + 1 < bounds.length; k++) {
      const lo = bounds[k]!;
      const hi = bounds[k + 1]! - 1;
      const eligible = withPorts.filter((x) => x.ranges.some(([a, b]) => a <= lo && lo <= b)).map((x) => x.set);
      if (eligible.length === 0) {
        last = undefined;
        continue;
      }
      const sets = emptySets();
      const prefixes = rankedPrefixes(eligible);
      verdictOf(prefixes, 4, sets);
      verdictOf(prefixes, 6, sets);
      if (last !== undefined && last.hi + 1 === lo && sameSets(last.sets, sets)) {
        last = { ...last, hi };
        out[out.length - 1] = last;
      } else {
        last = { protocol, lo, hi, sets };
        out.push(last);
      }
    }
  }
  return out;
}

/** `optimize`, `allow`, `default`: the category part of set names. */
export function categorySlug(c: CategoryName): string {
  return c.toLowerCase();
}
