import type { Category } from '../core/types.js';
import type { LogFields } from './record-parser.js';

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
  format: 'csv' | 'jsonl' | 'empty';
  gzip: boolean;
  /** Lines read, header and blank lines included. */
  lines: number;
  records: number;
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
  records: number;
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
  badLineReasons: Array<{ reason: string; count: number }>;
  badLineSamples: BadLineSample[];
}
