import { normalizeHost } from '../match/normalize-host.js';
import type { Category, Classification } from '../core/types.js';
import type { Aggregator } from './aggregate.js';
import type { Counts, TopHost, TopOther, TopPrefix } from './summary.js';
import type { TopEntry } from './top-k.js';

/** The top lists of summary.json: Microsoft 365 hosts and prefixes, and destinations that are not Microsoft 365. */

export function byWeight(a: Counts, b: Counts): number {
  return b.bytes - a.bytes || b.flows - a.flows;
}

function hostKey(k: string): string {
  const h = normalizeHost(k);
  return typeof h === 'string' ? h : k.toLowerCase();
}

/** Top entries whose keys normalize alike, merged (first tag kept), heaviest first. */
function mergeSpellings<T>(entries: readonly TopEntry<T>[], norm: (key: string) => string): TopEntry<T>[] {
  const out = new Map<string, { key: string; tag: T; flows: number; bytes: number; error: number }>();
  for (const e of entries) {
    const key = norm(e.key);
    const m = out.get(key);
    if (m) {
      m.flows += e.flows;
      m.bytes += e.bytes;
      m.error += e.error;
    } else {
      out.set(key, { key, tag: e.tag, flows: e.flows, bytes: e.bytes, error: e.error });
    }
  }
  return [...out.values()].sort((a, b) => byWeight(a, b) || (a.key < b.key ? -1 : 1));
}

/** Hosts of exact patterns (counted per answer, exact) and of wildcards (the host table). */
export function topHosts(agg: Aggregator, n: number): TopHost[] {
  const exact: Array<TopEntry<Classification>> = [];
  for (const a of agg.answers.values()) {
    if (a.exactHost) exact.push({ key: a.r.matched ?? '', tag: a.r, flows: a.flows, bytes: a.bytes, error: 0 });
  }
  return mergeSpellings([...exact, ...agg.hosts.top(agg.hosts.capacity)], hostKey)
    .slice(0, n)
    .map((e) => ({
      host: e.key,
      category: e.tag.category as Category,
      serviceArea: e.tag.serviceArea ?? '',
      endpointSetId: e.tag.endpointSetId ?? 0,
      matched: e.tag.matched ?? '',
      flows: e.flows,
      bytes: e.bytes,
      error: e.error,
    }));
}

export function topOther(agg: Aggregator, n: number): TopOther[] {
  return mergeSpellings(agg.others.top(agg.others.capacity), hostKey)
    .slice(0, n)
    .map((e) => ({ destination: e.key, kind: e.tag, flows: e.flows, bytes: e.bytes, error: e.error }));
}

export function topPrefixes(agg: Aggregator, n: number): TopPrefix[] {
  const byPrefix = new Map<string, TopPrefix>();
  for (const a of agg.answers.values()) {
    if (a.r.matchedBy !== 'ip') continue;
    const prefix = a.r.matched ?? '';
    const p = byPrefix.get(prefix);
    if (p) {
      p.flows += a.flows;
      p.bytes += a.bytes;
    } else {
      byPrefix.set(prefix, {
        prefix,
        category: a.r.category as Category,
        serviceArea: a.r.serviceArea ?? '',
        endpointSetId: a.r.endpointSetId ?? 0,
        flows: a.flows,
        bytes: a.bytes,
      });
    }
  }
  return [...byPrefix.values()].sort((a, b) => byWeight(a, b) || (a.prefix < b.prefix ? -1 : 1)).slice(0, n);
}
