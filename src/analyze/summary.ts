import type { Category } from '../core/types.js';
import type { LogFields } from './flow-record.js';
import type { KnownFormat } from './log-formats.js';

/** What `m365fc analyze` writes to summary.json, and what report.html is drawn from. */

export const SUMMARY_FORMAT = 'm365fc-analyze-summary';
export const SUMMARY_FORMAT_VERSION = 1;

export type CategoryKey = Category | 'none';
export const CATEGORY_KEYS: readonly CategoryKey[] = ['Optimize', 'Allow', 'Default', 'none'];

export interface Counts {
  flows: number;
  bytes: number;
}

export interface InputSummary {
  name: string;
  /** The same as `name` (the file, or `-` for standard input). */
  file: string;
  /** The format detected (or named with --format); `empty` when the input held no line. */
  format: KnownFormat | 'empty';
  gzip: boolean;
  /** Lines read, header and blank lines included (for an Azure document read in pieces: its records). */
  lines: number;
  /** Records read and counted (a reply record joined to its request is a record, not a flow). */
  records: number;
  /** Lines that hold no flow and are no fault: headers, NODATA/SKIPDATA rows, other PAN-OS log types, trailers. */
  skipped: number;
  badLines: number;
  fields: LogFields;
  /** Why reading stopped early (a truncated gzip, a header without address columns), else null. */
  error: string | null;
}

export interface ServiceAreaSummary extends Counts {
  serviceArea: string;
  serviceAreaDisplayName: string;
  byCategory: Record<Category, Counts>;
}

export interface SiteSummary extends Counts {
  /** '' when the log has no site column or the field is empty. */
  site: string;
  byCategory: Record<CategoryKey, Counts>;
  byServiceArea: Array<Counts & { serviceArea: string }>;
}

export interface PathSummary extends Counts {
  /** The log's value, lower-case; '(other)' gathers values beyond the table's size. */
  path: string;
  /** True when the value says the flow left directly (direct, local, dia, bypass...). */
  direct: boolean;
}

export interface TopHost extends Counts {
  host: string;
  category: Category;
  serviceArea: string;
  endpointSetId: number;
  matched: string;
  /** Flows or bytes the counts may lack (bounded table); 0 means exact. */
  error: number;
}

export interface TopPrefix extends Counts {
  prefix: string;
  category: Category;
  serviceArea: string;
  endpointSetId: number;
}

export interface TopOther extends Counts {
  destination: string;
  kind: 'host' | 'ip';
  error: number;
}

export interface SetSummary extends Counts {
  id: number;
  serviceArea: string;
  category: Category;
  required: boolean;
}

export interface UnseenSet {
  id: number;
  serviceArea: string;
  category: Category;
  /** Host patterns and prefixes the set lists. */
  urls: number;
  ips: number;
  /** Example patterns or prefixes, for the report. */
  examples: string[];
}

export interface BadLineSample {
  file: string;
  line: number;
  reason: string;
  /** The line, cut at 200 characters. */
  text: string;
}

export interface Summary {
  format: typeof SUMMARY_FORMAT;
  formatVersion: typeof SUMMARY_FORMAT_VERSION;
  generatedAt: string;
  data: { version: string; instance: string; origin: string; fetchedAt: string | null; sets: number; precedence: string };
  inputs: InputSummary[];
  lines: number;
  /** Records read over all inputs. */
  records: number;
  /** Connections counted: records joined into connections (both directions, Azure's B/C/E tuples). */
  flows: number;
  badLines: number;
  /** Ranking of the top lists: bytes when the logs carry bytes, else flows. */
  rankedBy: 'bytes' | 'flows';
  byCategory: Record<CategoryKey, Counts>;
  byServiceArea: ServiceAreaSummary[];
  sites: SiteSummary[];
  /** Sites beyond the table's size are gathered in one entry named '(other sites)'. */
  sitesTruncated: boolean;
  /** Optimize and Allow: traffic that could leave locally instead of through a proxy or VPN. */
  localBreakout: Counts & { shareOfFlows: number; shareOfBytes: number };
  /** Traffic to endpoint sets marked expressRoute: true (routable over ExpressRoute for Microsoft 365). */
  expressRoute: Counts & {
    shareOfFlows: number;
    shareOfBytes: number;
    byCategory: Record<Category, Counts>;
    bySite: Array<Counts & { site: string; shareOfFlows: number; shareOfBytes: number }>;
  };
  /** Optimize traffic by the path the log says it took; `known` is false when no log says. */
  optimizePath: {
    known: boolean;
    viaProxy: Counts;
    direct: Counts;
    unknown: Counts;
    /** viaProxy bytes over Optimize bytes (flows when the logs carry no bytes). */
    shareViaProxy: number;
    byPath: PathSummary[];
  };
  topHosts: TopHost[];
  topHostsExact: boolean;
  topPrefixes: TopPrefix[];
  topOther: TopOther[];
  topOtherExact: boolean;
  endpointSets: {
    seen: SetSummary[];
    requiredNotSeen: UnseenSet[];
    /** Sets (required or not) with no flow. */
    notSeen: number;
  };
  /** The internal networks (--internal): of a record's two endpoints, the other one is the destination. */
  internal: readonly string[];
  /** Flows whose destination is internal (both ends inside --internal): a sign the networks are not all named. */
  internalDestinations: Counts & { examples: string[] };
  /** Joining: `joined` records were added to a connection already open; Zeek ssl.log names matched to conn.log. */
  join: { window: number; joined: number; sniMatched: number; sniUnmatched: number; sniDropped: number };
  badLineReasons: Array<{ reason: string; count: number }>;
  badLineSamples: BadLineSample[];
}
