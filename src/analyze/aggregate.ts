import type { Classifier } from '../match/classifier.js';
import { normalizeHost } from '../match/normalize-host.js';
import type { Category, Classification, EndpointSet, Flow } from '../core/types.js';
import type { FlowRecord } from './record-parser.js';
import {
  CATEGORY_KEYS,
  type BadLineSample,
  type CategoryKey,
  type Counts,
  type PathSummary,
  type SetSummary,
  type SiteSummary,
  type Summary,
  type TopHost,
  type TopOther,
  type TopPrefix,
  type UnseenSet,
  type ServiceAreaSummary,
} from './summary.js';
import { detach, TopK, type TopEntry } from './top-k.js';

/**
 * Counts classified flows in memory bounded by the limits below, whatever the size of the log:
 * per-set and per-prefix counters are bounded by the data, sites and paths by a table size with
 * an overflow entry, hosts and other destinations by Space-Saving tables (top-k.ts).
 */

export interface AnalyzeLimits {
  /** Distinct sites counted one by one; the rest share '(other sites)'. */
  sites: number;
  /** Distinct path values; the rest share '(other)'. */
  paths: number;
  /** Space-Saving table sizes (10x the lists shown keeps them exact in practice). */
  hostTable: number;
  otherTable: number;
  /** Rows in each top list. */
  top: number;
  badLineSamples: number;
}

export const DEFAULT_LIMITS: AnalyzeLimits = { sites: 1000, paths: 100, hostTable: 5000, otherTable: 5000, top: 25, badLineSamples: 20 };

export const OTHER_SITES = '(other sites)';
export const OTHER_PATHS = '(other)';
const SAMPLE_CHARS = 200;

/** Path values that mean the flow left the site directly; any other non-empty value is a proxy, VPN or tunnel. */
export const DIRECT_PATHS: ReadonlySet<string> = new Set([
  'direct',
  'local',
  'local-breakout',
  'localbreakout',
  'local breakout',
  'dia',
  'internet',
  'bypass',
  'split',
  'split-tunnel',
  'none',
  'no',
  'false',
  '0',
]);

const SLOT_NONE = 3;

function slotOf(c: Category | null): number {
  return c === 'Optimize' ? 0 : c === 'Allow' ? 1 : c === 'Default' ? 2 : SLOT_NONE;
}

/** [flows of the four category slots, then bytes of the four] */
const CAT_WORDS = 8;

interface AnswerAcc {
  readonly r: Classification;
  readonly slot: number;
  /** Index of the answer's set in the snapshot, -1 for none. */
  readonly si: number;
  /** Matched by a host pattern without `*`: the host is the pattern, counted here, not in the host table. */
  readonly exactHost: boolean;
  flows: number;
  bytes: number;
}

interface SiteAcc {
  /** The Map key (a detached copy of the log's text). */
  readonly key: string;
  readonly cat: Float64Array;
  /** [flows, bytes] per set index */
  readonly sets: Float64Array;
}

export class Aggregator {
  readonly limits: AnalyzeLimits;
  private readonly classifier: Classifier;
  private readonly sets: readonly EndpointSet[];
  private readonly setIndex = new Map<number, number>();
  /**
   * Counters per engine answer. The engine answers with one shared frozen Classification per
   * matched (set, pattern or prefix) pair, so an identity-keyed Map is bounded by the data and
   * its lookup hashes no string; categories, sets, prefixes and exact hosts are summed from it
   * at the end, and only hosts of wildcard patterns need a table keyed by the host's text.
   */
  private readonly answers = new Map<Classification, AnswerAcc>();
  private readonly sites = new Map<string, SiteAcc>();
  private readonly paths = new Map<string, { readonly key: string; readonly counts: Float64Array }>();
  private lastSite = '';
  private lastSiteAcc: SiteAcc | undefined = undefined;
  private lastPath = '';
  private lastPathAcc: { readonly key: string; readonly counts: Float64Array } | undefined = undefined;
  /** Hosts matched by a wildcard pattern, by the host the log names. */
  private readonly hosts: TopK<Classification>;
  private readonly others: TopK<'host' | 'ip'>;
  private readonly flow: Flow = { ip: undefined, host: undefined, port: undefined, protocol: undefined };
  records = 0;
  badLines = 0;
  /** Set by the reader when a log carries byte counts: rankings and shares then go by bytes. */
  hasBytes = false;
  private readonly badReasons = new Map<string, number>();
  private readonly samples: BadLineSample[] = [];

  constructor(classifier: Classifier, limits: Partial<AnalyzeLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.classifier = classifier;
    this.sets = classifier.snapshot.sets;
    this.sets.forEach((s, i) => this.setIndex.set(s.id, i));
    this.hosts = new TopK(this.limits.hostTable);
    this.others = new TopK(this.limits.otherTable);
  }

  /** Classifies and counts one record; returns the engine's error code when the flow is invalid, else null. */
  add(rec: FlowRecord): string | null {
    const flow = this.flow;
    flow.ip = rec.ip;
    flow.host = rec.host;
    flow.port = rec.port;
    flow.protocol = rec.protocol;
    const r = this.classifier.classify(flow);
    if ('error' in r) return r.error.code;
    this.records++;
    const bytes = rec.bytes;
    let acc = this.answers.get(r);
    if (acc === undefined) {
      const matched = r.matched ?? '';
      acc = {
        r,
        slot: slotOf(r.category),
        si: r.endpointSetId === null ? -1 : (this.setIndex.get(r.endpointSetId) ?? -1),
        exactHost: r.matchedBy !== null && r.matchedBy !== 'ip' && !matched.includes('*'),
        flows: 0,
        bytes: 0,
      };
      this.answers.set(r, acc);
    }
    acc.flows++;
    acc.bytes += bytes;
    this.countSite(rec.site, acc.slot, acc.si, bytes);
    if (rec.path.length > 0) this.countPath(rec.path, acc.slot, bytes);

    // Ranks by bytes, and by flows among flows of equal bytes (or when the log has no bytes).
    const weight = bytes + 1;
    if (r.m365) {
      // Keyed as the log spells it; spellings of one host are merged in summarize(), rather than
      // normalizing every line a second time after the engine did.
      if (r.matchedBy !== 'ip' && !acc.exactHost && rec.host !== undefined) this.hosts.add(rec.host, bytes, weight, r);
    } else if (rec.host !== undefined) {
      this.others.add(rec.host, bytes, weight, 'host');
    } else if (rec.ip !== undefined) {
      this.others.add(rec.ip, bytes, weight, 'ip');
    }
    return null;
  }

  private countSite(site: string, slot: number, si: number, bytes: number): void {
    // A log from one appliance names the same site line after line: compare before hashing.
    let acc = site === this.lastSite ? this.lastSiteAcc : this.sites.get(site);
    if (acc === undefined) {
      const key = this.sites.size >= this.limits.sites - 1 ? OTHER_SITES : detach(site);
      acc = this.sites.get(key);
      if (acc === undefined) {
        acc = { key, cat: new Float64Array(CAT_WORDS), sets: new Float64Array(this.sets.length * 2) };
        this.sites.set(key, acc);
      }
    }
    this.lastSite = acc.key;
    this.lastSiteAcc = acc;
    acc.cat[slot]!++;
    acc.cat[4 + slot]! += bytes;
    if (si >= 0) {
      acc.sets[2 * si]!++;
      acc.sets[2 * si + 1]! += bytes;
    }
  }

  private countPath(path: string, slot: number, bytes: number): void {
    let acc = path === this.lastPath ? this.lastPathAcc : this.paths.get(path);
    if (acc === undefined) {
      const key = this.paths.size >= this.limits.paths - 1 ? OTHER_PATHS : detach(path);
      acc = this.paths.get(key);
      if (acc === undefined) {
        acc = { key, counts: new Float64Array(CAT_WORDS) };
        this.paths.set(key, acc);
      }
    }
    this.lastPath = acc.key;
    this.lastPathAcc = acc;
    acc.counts[slot]!++;
    acc.counts[4 + slot]! += bytes;
  }

  /** Counts a line that could not be used, keeping the first few as samples. */
  bad(file: string, line: number, reason: string, text: string): void {
    this.badLines++;
    this.badReasons.set(reason, (this.badReasons.get(reason) ?? 0) + 1);
    if (this.samples.length < this.limits.badLineSamples) {
      this.samples.push({ file, line, reason, text: detach(text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text) });
    }
  }

  /** Everything but `generatedAt`, `inputs` and `lines`, which the reader knows. */
  summarize(): Omit<Summary, 'generatedAt' | 'inputs' | 'lines'> {
    const c = new Float64Array(CAT_WORDS);
    const setCounts = new Float64Array(this.sets.length * 2);
    for (const a of this.answers.values()) {
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
    const snap = this.classifier.snapshot;
    const top = this.limits.top;
    return {
      format: 'm365fc-analyze-summary',
      formatVersion: 1,
      data: {
        version: this.classifier.version,
        instance: snap.instance,
        origin: snap.origin,
        fetchedAt: snap.fetchedAt,
        sets: snap.sets.length,
        precedence: this.classifier.precedence,
      },
      records: this.records,
      badLines: this.badLines,
      rankedBy: this.hasBytes ? 'bytes' : 'flows',
      byCategory,
      byServiceArea: this.serviceAreas(setCounts),
      sites: this.siteSummaries(),
      sitesTruncated: this.sites.has(OTHER_SITES),
      localBreakout: {
        flows: localFlows,
        bytes: localBytes,
        shareOfFlows: totalFlows > 0 ? localFlows / totalFlows : 0,
        shareOfBytes: totalBytes > 0 ? localBytes / totalBytes : 0,
      },
      optimizePath: this.optimizePath(byCategory.Optimize),
      topHosts: this.topHosts(top),
      topHostsExact: this.hosts.exact,
      topPrefixes: this.topPrefixes(top),
      topOther: this.topOther(top),
      topOtherExact: this.others.exact,
      endpointSets: this.endpointSets(setCounts),
      badLineReasons: [...this.badReasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
      badLineSamples: this.samples.slice(),
    };
  }

  private serviceAreas(counts: Float64Array): ServiceAreaSummary[] {
    const areas = new Map<string, ServiceAreaSummary>();
    this.sets.forEach((s, i) => {
      let a = areas.get(s.serviceArea);
      if (!a) {
        a = {
          serviceArea: s.serviceArea,
          serviceAreaDisplayName: s.serviceAreaDisplayName,
          flows: 0,
          bytes: 0,
          byCategory: { Optimize: zero(), Allow: zero(), Default: zero() },
        };
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

  private siteSummaries(): SiteSummary[] {
    const out: SiteSummary[] = [];
    for (const [site, acc] of this.sites) {
      const byCategory = catCounts(acc.cat);
      const flows = acc.cat[0]! + acc.cat[1]! + acc.cat[2]! + acc.cat[3]!;
      const bytes = acc.cat[4]! + acc.cat[5]! + acc.cat[6]! + acc.cat[7]!;
      const byServiceArea = this.serviceAreas(acc.sets).map((a) => ({ serviceArea: a.serviceArea, flows: a.flows, bytes: a.bytes }));
      out.push({ site, flows, bytes, byCategory, byServiceArea });
    }
    // The overflow entry goes last whatever its size.
    return out.sort((a, b) => Number(a.site === OTHER_SITES) - Number(b.site === OTHER_SITES) || byWeight(a, b) || (a.site < b.site ? -1 : 1));
  }

  private optimizePath(opt: Counts): Summary['optimizePath'] {
    const viaProxy = zero();
    const direct = zero();
    let pathFlows = 0;
    let pathBytes = 0;
    // Spellings of one value (Proxy, PROXY) are counted apart on the hot path and merged here.
    const merged = new Map<string, PathSummary>();
    for (const [raw, { counts: acc }] of this.paths) {
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
    const byPath = [...merged.values()];
    const unknown = { flows: opt.flows - pathFlows, bytes: opt.bytes - pathBytes };
    const shareViaProxy = this.hasBytes ? (opt.bytes > 0 ? viaProxy.bytes / opt.bytes : 0) : opt.flows > 0 ? viaProxy.flows / opt.flows : 0;
    return { known: this.paths.size > 0, viaProxy, direct, unknown, shareViaProxy, byPath: byPath.sort(byWeight) };
  }

  /** Hosts of exact patterns (counted per answer, exact) and of wildcards (the host table). */
  private topHosts(n: number): TopHost[] {
    const exact: Array<TopEntry<Classification>> = [];
    for (const a of this.answers.values()) {
      if (a.exactHost) exact.push({ key: a.r.matched ?? '', tag: a.r, flows: a.flows, bytes: a.bytes, error: 0 });
    }
    return mergeSpellings([...exact, ...this.hosts.top(this.hosts.capacity)], (k) => {
      const h = normalizeHost(k);
      return typeof h === 'string' ? h : k.toLowerCase();
    })
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

  private topOther(n: number): TopOther[] {
    return mergeSpellings(this.others.top(this.others.capacity), (k) => {
      const h = normalizeHost(k);
      return typeof h === 'string' ? h : k.toLowerCase();
    })
      .slice(0, n)
      .map((e) => ({ destination: e.key, kind: e.tag, flows: e.flows, bytes: e.bytes, error: e.error }));
  }

  private topPrefixes(n: number): TopPrefix[] {
    const byPrefix = new Map<string, TopPrefix>();
    for (const a of this.answers.values()) {
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
    return [...byPrefix.values()]
      .sort((a, b) => byWeight(a, b) || (a.prefix < b.prefix ? -1 : 1))
      .slice(0, n);
  }

  private endpointSets(setCounts: Float64Array): Summary['endpointSets'] {
    const seen: SetSummary[] = [];
    const requiredNotSeen: UnseenSet[] = [];
    let notSeen = 0;
    this.sets.forEach((s, i) => {
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

function byWeight(a: Counts, b: Counts): number {
  return b.bytes - a.bytes || b.flows - a.flows;
}
