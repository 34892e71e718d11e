import type { Classifier } from '../match/classifier.js';
import type { Category, Classification, ClassifyResult, EndpointSet, Flow } from '../core/types.js';
import { parsePortField, parseProtocolField } from '../match/flow-fields.js';
import { destText, hasDest, type FlowRecord } from './flow-record.js';
import type { BadLineSample } from './summary.js';
import { detach, TopK } from './top-k.js';

/**
 * Counts classified flows in memory bounded by the limits below, whatever the size of the log:
 * per-set and per-prefix counters are bounded by the data, sites and paths by a table size with
 * an overflow entry, hosts and other destinations by Space-Saving tables (top-k.ts).
 * summarize.ts turns the counters into summary.json.
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

/** A slot of the site and path caches: by length and three characters, no pass over the text. */
function siteSlot(s: string): number {
  const n = s.length;
  return n === 0 ? 0 : (n * 7 + s.charCodeAt(0) * 3 + s.charCodeAt(n - 1) + s.charCodeAt(n >> 1) * 5) & 63;
}
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
export const CAT_WORDS = 8;

export interface AnswerAcc {
  readonly r: Classification;
  readonly slot: number;
  /** Index of the answer's set in the snapshot, -1 for none. */
  readonly si: number;
  /** Matched by a host pattern without `*`: the host is the pattern, counted here, not in the host table. */
  readonly exactHost: boolean;
  flows: number;
  bytes: number;
}

export interface SiteAcc {
  /** The Map key (a detached copy of the log's text). */
  readonly key: string;
  readonly cat: Float64Array;
  /** [flows, bytes] per set index */
  readonly sets: Float64Array;
}

export class Aggregator {
  readonly limits: AnalyzeLimits;
  readonly classifier: Classifier;
  readonly sets: readonly EndpointSet[];
  private readonly setIndex = new Map<number, number>();
  /**
   * Counters per engine answer. The engine answers with one shared frozen Classification per
   * matched (set, pattern or prefix) pair, so an identity-keyed Map is bounded by the data and
   * its lookup hashes no string; categories, sets, prefixes and exact hosts are summed from it
   * at the end, and only hosts of wildcard patterns need a table keyed by the host's text.
   */
  readonly answers = new Map<Classification, AnswerAcc>();
  readonly sites = new Map<string, SiteAcc>();
  readonly paths = new Map<string, { readonly key: string; readonly counts: Float64Array }>();
  private readonly siteCache: Array<SiteAcc | undefined> = new Array<SiteAcc | undefined>(64).fill(undefined);
  private readonly pathCache: Array<{ readonly key: string; readonly counts: Float64Array } | undefined> = new Array(64).fill(undefined);
  /** Hosts matched by a wildcard pattern, by the host the log names. */
  readonly hosts: TopK<Classification>;
  readonly others: TopK<'host' | 'ip'>;
  private readonly flow: Flow = { ip: undefined, host: undefined, port: undefined, protocol: undefined };
  /** classifyBinary's IPv6 words (unused: only IPv4 goes the binary way). */
  private readonly words = new Uint32Array(4);
  /** Whether the last flow added was Microsoft 365. */
  lastM365 = false;
  /** Connections counted (a record joined to another is not a connection of its own). */
  flows = 0;
  badLines = 0;
  /** Set by the reader when a log carries byte counts: rankings and shares then go by bytes. */
  hasBytes = false;
  readonly badReasons = new Map<string, number>();
  readonly samples: BadLineSample[] = [];

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
    let r: ClassifyResult;
    const port = rec.ip4 >= 0 ? parsePortField(rec.port) : -1;
    const proto = port >= 0 ? parseProtocolField(rec.protocol) : -1;
    if (proto >= 0) {
      // An address the reader parsed goes to the engine as a number: the answer classify() would
      // give for its text (checked in the order classify checks), without a second parse.
      r = this.classifier.classifyBinary(4, rec.ip4, this.words, port, proto, rec.host ?? null);
    } else {
      const flow = this.flow;
      flow.ip = destText(rec);
      flow.host = rec.host;
      flow.port = rec.port;
      flow.protocol = rec.protocol;
      r = this.classifier.classify(flow);
    }
    if ('error' in r) return r.error.code;
    this.flows++;
    this.lastM365 = r.m365;
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
    } else if (hasDest(rec)) {
      this.others.add(destText(rec)!, bytes, weight, 'ip');
    }
    return null;
  }

  private countSite(site: string, slot: number, si: number, bytes: number): void {
    let acc: SiteAcc | undefined;
    // A few sites, line after line, each a new string from the log: a slot chosen by length and
    // end characters and one compare find it without hashing the text (the Map's hash was the
    // CSV bench's hottest line in this file).
    const h = siteSlot(site);
    const hit = this.siteCache[h];
    if (hit !== undefined && hit.key === site) acc = hit;
    else acc = this.sites.get(site);
    if (acc === undefined) {
      const key = this.sites.size >= this.limits.sites - 1 ? OTHER_SITES : detach(site);
      acc = this.sites.get(key);
      if (acc === undefined) {
        acc = { key, cat: new Float64Array(CAT_WORDS), sets: new Float64Array(this.sets.length * 2) };
        this.sites.set(key, acc);
      }
    }
    if (acc.key === site) this.siteCache[h] = acc;
    acc.cat[slot]!++;
    acc.cat[4 + slot]! += bytes;
    if (si >= 0) {
      acc.sets[2 * si]!++;
      acc.sets[2 * si + 1]! += bytes;
    }
  }

  private countPath(path: string, slot: number, bytes: number): void {
    const h = siteSlot(path);
    const hit = this.pathCache[h];
    let acc = hit !== undefined && hit.key === path ? hit : this.paths.get(path);
    if (acc === undefined) {
      const key = this.paths.size >= this.limits.paths - 1 ? OTHER_PATHS : detach(path);
      acc = this.paths.get(key);
      if (acc === undefined) {
        acc = { key, counts: new Float64Array(CAT_WORDS) };
        this.paths.set(key, acc);
      }
    }
    if (acc.key === path) this.pathCache[h] = acc;
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
}
