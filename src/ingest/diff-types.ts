import type { Category } from '../core/types.js';

/** The shapes of a diff (src/ingest/diff.ts) and of its coverage measure (coverage.ts). */

/** A /changes record reduced to what a reader of the diff needs. */
export interface UpstreamNote {
  readonly changeId: number;
  readonly disposition: string;
  readonly impact: string | null;
  readonly version: string;
  readonly effectiveDate: string | null;
  readonly added?: { readonly ips: readonly string[]; readonly urls: readonly string[] };
  readonly removed?: { readonly ips: readonly string[]; readonly urls: readonly string[] };
}

export interface SetSummary {
  readonly id: number;
  readonly serviceArea: string;
  readonly category: Category;
  readonly required: boolean;
  readonly urls: readonly string[];
  readonly ips: readonly string[];
  readonly tcpPorts: string;
  readonly udpPorts: string;
  readonly upstream: readonly UpstreamNote[];
}

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export interface SetChange {
  readonly id: number;
  readonly serviceArea: string;
  readonly category?: Change<Category>;
  readonly required?: Change<boolean>;
  readonly expressRoute?: Change<boolean>;
  readonly serviceAreaChanged?: Change<string>;
  readonly serviceAreaDisplayName?: Change<string>;
  readonly notes?: Change<string | null>;
  readonly tcpPorts?: Change<string>;
  readonly udpPorts?: Change<string>;
  readonly ipsAdded: readonly string[];
  readonly ipsRemoved: readonly string[];
  readonly urlsAdded: readonly string[];
  readonly urlsRemoved: readonly string[];
  readonly upstream: readonly UpstreamNote[];
}

/** Address counts are decimal strings: IPv6 counts exceed 2^53 and JSON has no BigInt. */
export interface FamilyCoverage {
  readonly prefixes: { readonly before: number; readonly after: number };
  readonly addresses: { readonly before: string; readonly after: string; readonly lost: string };
  /** lost / before; 0 when nothing was covered before. */
  readonly lostShare: number;
}

export interface HostCoverage {
  readonly patterns: { readonly before: number; readonly after: number };
  /** Patterns of the old version that no pattern of the new one matches. */
  readonly lost: number;
  readonly lostShare: number;
}

export interface Coverage {
  readonly ipv4: FamilyCoverage;
  readonly ipv6: FamilyCoverage;
  readonly hosts: HostCoverage;
}

export interface SnapshotDiff {
  readonly from: { readonly instance: string; readonly version: string; readonly origin: string };
  readonly to: { readonly instance: string; readonly version: string; readonly origin: string };
  readonly setsAdded: readonly SetSummary[];
  readonly setsRemoved: readonly SetSummary[];
  readonly setsChanged: readonly SetChange[];
  readonly totals: {
    readonly setsAdded: number;
    readonly setsRemoved: number;
    readonly setsChanged: number;
    readonly ipsAdded: number;
    readonly ipsRemoved: number;
    readonly urlsAdded: number;
    readonly urlsRemoved: number;
  };
  readonly coverage: Coverage;
  /** /changes records that name a set this diff does not list (kept, not dropped). */
  readonly upstreamOther: readonly UpstreamNote[];
}

/** What the new data was asked for: the old data is measured on the same terms. */
export interface CoverageScope {
  readonly noIPv6?: boolean | undefined;
  readonly serviceAreas?: readonly string[] | undefined;
}
