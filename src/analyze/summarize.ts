import type { Category } from '../core/types.js';
import { CAT_WORDS, DIRECT_PATHS, OTHER_PATHS, OTHER_SITES, type Aggregator } from './aggregate.js';
import { byWeight, topHosts, topOther, topPrefixes } from './summarize-top.js';
import {
  CATEGORY_KEYS,
  SUMMARY_FORMAT,
  SUMMARY_FORMAT_VERSION,
  type CategoryKey,
  type Counts,
  type PathSummary,
  type ServiceAreaSummary,
  type SetSummary,
  type SiteSummary,
  type Summary,
  type UnseenSet,
} from './summary.js';

/** The aggregator's counters into summary.json (report.html is drawn from it). */

/** What the reader knows and the aggregator does not. */
export type ReaderFacts = Pick<Summary, 'generatedAt' | 'inputs' | 'lines' | 'records' | 'internal' | 'join' | 'internalDestinations'>;

function zero(): Counts {
  return { flows: 0, bytes: 0 };
}

function catCounts(c: Float64Array): Record<CategoryKey, Counts> {
  const out = {} as Record<CategoryKey, Counts>;
  CATEGORY_KEYS.forEach((k, i) => {
    out[k] = { flows: c[i]!, bytes: c[4 + i]! };
  });
  return out;
}

export function summarize(agg: Aggregator, facts: ReaderFacts): Summary {
  const c = new Float64Array(CAT_WORDS);
  const setCounts = new Float64Array(agg.sets.length * 2);
  for (const a of agg.answers.values()) {
    c[a.slot]! += a.flows;
    c[4 + a.slot]! += a.bytes;
    if (a.si >= 0) {
      setCounts[2 * a.si]! += a.flows;
      setCounts[2 * a.si + 1]! += a.bytes;
    }
  }
  const byCategory = catCounts(c);
  const totalFlows = c[0]! + c[1]! + c[2]! + c[3]!;
  const totalBytes = c[4]! + c[5]! + c[6]! + c[7]!;
  const localFlows = c[0]! + c[1]!;
  const localBytes = c[4]! + c[5]!;
  const snap = agg.classifier.snapshot;
  const top = agg.limits.top;
  const sites = siteSummaries(agg);
  return {
    format: SUMMARY_FORMAT,
    formatVersion: SUMMARY_FORMAT_VERSION,
    generatedAt: facts.generatedAt,
    data: {
      version: agg.classifier.version,
      instance: snap.instance,
      origin: snap.origin,
      fetchedAt: snap.fetchedAt,
      sets: snap.sets.length,
      precedence: agg.classifier.precedence,
    },
    inputs: facts.inputs,
    lines: facts.lines,
    records: facts.records,
    flows: agg.flows,
    badLines: agg.badLines,
    rankedBy: agg.hasBytes ? 'bytes' : 'flows',
    byCategory,
    byServiceArea: serviceAreas(agg, setCounts),
    sites,
    sitesTruncated: agg.sites.has(OTHER_SITES),
    localBreakout: {
      flows: localFlows,
      bytes: localBytes,
      shareOfFlows: totalFlows > 0 ? localFlows / totalFlows : 0,
      shareOfBytes: totalBytes > 0 ? localBytes / totalBytes : 0,
    },
    expressRoute: expressRoute(agg, setCounts, { flows: totalFlows, bytes: totalBytes }),
    optimizePath: optimizePath(agg, byCategory.Optimize),
    topHosts: topHosts(agg, top),
    topHostsExact: agg.hosts.exact,
    topPrefixes: topPrefixes(agg, top),
    topOther: topOther(agg, top),
    topOtherExact: agg.others.exact,
    endpointSets: endpointSets(agg, setCounts),
    internal: facts.internal,
    internalDestinations: facts.internalDestinations,
    join: facts.join,
    badLineReasons: [...agg.badReasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    badLineSamples: agg.samples.slice(),
  };
}

/** Flows and bytes to sets marked expressRoute: true, overall, per category and per site. */
function expressRoute(agg: Aggregator, setCounts: Float64Array, total: Counts): Summary['expressRoute'] {
  const byCategory: Record<Category, Counts> = { Optimize: zero(), Allow: zero(), Default: zero() };
  const all = zero();
  agg.sets.forEach((s, i) => {
    if (!s.expressRoute) return;
    byCategory[s.category].flows += setCounts[2 * i]!;
    byCategory[s.category].bytes += setCounts[2 * i + 1]!;
    all.flows += setCounts[2 * i]!;
    all.bytes += setCounts[2 * i + 1]!;
  });
  const bySite: Summary['expressRoute']['bySite'] = [];
  for (const [site, acc] of agg.sites) {
    const c = zero();
    agg.sets.forEach((s, i) => {
      if (!s.expressRoute) return;
      c.flows += acc.sets[2 * i]!;
      c.bytes += acc.sets[2 * i + 1]!;
    });
    const flows = acc.cat[0]! + acc.cat[1]! + acc.cat[2]! + acc.cat[3]!;
    const bytes = acc.cat[4]! + acc.cat[5]! + acc.cat[6]! + acc.cat[7]!;
    bySite.push({ site, ...c, shareOfFlows: flows > 0 ? c.flows / flows : 0, shareOfBytes: bytes > 0 ? c.bytes / bytes : 0 });
  }
  bySite.sort((a, b) => Number(a.site === OTHER_SITES) - Number(b.site === OTHER_SITES) || byWeight(a, b) || (a.site < b.site ? -1 : 1));
  return {
    ...all,
    shareOfFlows: total.flows > 0 ? all.flows / total.flows : 0,
    shareOfBytes: total.bytes > 0 ? all.bytes / total.bytes : 0,
    byCategory,
    bySite,
  };
}

function serviceAreas(agg: Aggregator, counts: Float64Array): ServiceAreaSummary[] {
  const areas = new Map<string, ServiceAreaSummary>();
  agg.sets.forEach((s, i) => {
    let a = areas.get(s.serviceArea);
    if (!a) {
      a = { serviceArea: s.serviceArea, serviceAreaDisplayName: s.serviceAreaDisplayName, flows: 0, bytes: 0, byCategory: { Optimize: zero(), Allow: zero(), Default: zero() } };
      areas.set(s.serviceArea, a);
    }
    const f = counts[2 * i]!;
    const b = counts[2 * i + 1]!;
    a.flows += f;
    a.bytes += b;
    a.byCategory[s.category].flows += f;
    a.byCategory[s.category].bytes += b;
  });
  return [...areas.values()].filter((a) => a.flows > 0).sort(byWeight);
}

function siteSummaries(agg: Aggregator): SiteSummary[] {
  const out: SiteSummary[] = [];
  for (const [site, acc] of agg.sites) {
    const byCategory = catCounts(acc.cat);
    const flows = acc.cat[0]! + acc.cat[1]! + acc.cat[2]! + acc.cat[3]!;
    const bytes = acc.cat[4]! + acc.cat[5]! + acc.cat[6]! + acc.cat[7]!;
    const byServiceArea = serviceAreas(agg, acc.sets).map((a) => ({ serviceArea: a.serviceArea, flows: a.flows, bytes: a.bytes }));
    out.push({ site, flows, bytes, byCategory, byServiceArea });
  }
  // The overflow entry goes last whatever its size.
  return out.sort((a, b) => Number(a.site === OTHER_SITES) - Number(b.site === OTHER_SITES) || byWeight(a, b) || (a.site < b.site ? -1 : 1));
}

function optimizePath(agg: Aggregator, opt: Counts): Summary['optimizePath'] {
  const viaProxy = zero();
  const direct = zero();
  let pathFlows = 0;
  let pathBytes = 0;
  // Spellings of one value (Proxy, PROXY) are counted apart on the hot path and merged here.
  const merged = new Map<string, PathSummary>();
  for (const [raw, { counts: acc }] of agg.paths) {
    pathFlows += acc[0]!;
    pathBytes += acc[4]!;
    if (acc[0] === 0) continue;
    const path = raw === OTHER_PATHS ? raw : raw.toLowerCase();
    const isDirect = DIRECT_PATHS.has(path);
    const target = isDirect ? direct : viaProxy;
    target.flows += acc[0]!;
    target.bytes += acc[4]!;
    const m = merged.get(path);
    if (m) {
      m.flows += acc[0]!;
      m.bytes += acc[4]!;
    } else {
      merged.set(path, { path, direct: isDirect, flows: acc[0]!, bytes: acc[4]! });
    }
  }
  const unknown = { flows: opt.flows - pathFlows, bytes: opt.bytes - pathBytes };
  const shareViaProxy = agg.hasBytes ? (opt.bytes > 0 ? viaProxy.bytes / opt.bytes : 0) : opt.flows > 0 ? viaProxy.flows / opt.flows : 0;
  return { known: agg.paths.size > 0, viaProxy, direct, unknown, shareViaProxy, byPath: [...merged.values()].sort(byWeight) };
}

function endpointSets(agg: Aggregator, setCounts: Float64Array): Summary['endpointSets'] {
  const seen: SetSummary[] = [];
  const requiredNotSeen: UnseenSet[] = [];
  let notSeen = 0;
  agg.sets.forEach((s, i) => {
    const flows = setCounts[2 * i]!;
    const bytes = setCounts[2 * i + 1]!;
    if (flows > 0) {
      seen.push({ id: s.id, serviceArea: s.serviceArea, category: s.category, required: s.required, flows, bytes });
      return;
    }
    notSeen++;
    if (s.required) {
      requiredNotSeen.push({
        id: s.id,
        serviceArea: s.serviceArea,
        category: s.category,
        urls: s.urls.length,
        ips: s.ips.length,
        examples: [...s.urls.slice(0, 3), ...s.ips.slice(0, s.urls.length >= 3 ? 0 : 3 - s.urls.length)],
      });
    }
  });
  return { seen: seen.sort((a, b) => a.id - b.id), requiredNotSeen, notSeen };
}
