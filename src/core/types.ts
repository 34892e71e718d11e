/**
 * The types each stage of the data flow hands to the next:
 * ingest → `Snapshot`, compile → `CompiledIndex` (src/compile), match → `Classification`.
 */

export type Category = 'Optimize' | 'Allow' | 'Default';
export const CATEGORIES: readonly Category[] = ['Optimize', 'Allow', 'Default'];

export type Instance = 'Worldwide' | 'USGovDoD' | 'USGovGCCHigh' | 'China';
export const INSTANCES: readonly Instance[] = ['Worldwide', 'USGovDoD', 'USGovGCCHigh', 'China'];

export type Precedence = 'specific-first' | 'category-first';
export type Protocol = 'tcp' | 'udp';
export type MatchedBy = 'host' | 'ip' | 'host+ip';
export type Action = 'bypass' | 'direct' | 'default' | 'none';

/** An inclusive port range, 1..65535, lo <= hi. */
export type PortRange = readonly [lo: number, hi: number];

/** One normalized endpoint set. Ports are sorted and merged; prefixes are canonical CIDR text. */
export interface EndpointSet {
  readonly id: number;
  readonly serviceArea: string;
  readonly serviceAreaDisplayName: string;
  /** Hosts and glob patterns, lower-case, as Microsoft publishes them. */
  readonly urls: readonly string[];
  /** Canonical CIDR prefixes: IPv4 dotted quad, IPv6 RFC 5952 compressed lower-case. */
  readonly ips: readonly string[];
  readonly tcpPorts: readonly PortRange[];
  readonly udpPorts: readonly PortRange[];
  readonly expressRoute: boolean;
  readonly category: Category;
  readonly required: boolean;
  readonly notes?: string;
}

/** A complete, validated endpoint set of one version: what ingest hands to compile. */
export interface Snapshot {
  readonly instance: Instance;
  /** Microsoft's version string, `YYYYMMDDNN`; `0000000000` when the upstream version is unknown. */
  readonly version: string;
  /** When this data was obtained from upstream (ISO 8601), or null when unknown. */
  readonly fetchedAt: string | null;
  /** Free text saying where the data came from (file name, URL). */
  readonly origin: string;
  readonly sets: readonly EndpointSet[];
}

/** A flow as it arrives on the wire. At least one of `ip` and `host`. */
export interface Flow {
  ip?: string | undefined;
  host?: string | undefined;
  /** 1..65535; a decimal string is accepted too. */
  port?: number | string | undefined;
  protocol?: string | undefined;
}

/** The engine's answer for one flow. Shared and frozen: do not mutate. */
export interface Classification {
  readonly m365: boolean;
  readonly category: Category | null;
  readonly serviceArea: string | null;
  readonly endpointSetId: number | null;
  readonly expressRoute: boolean | null;
  readonly required: boolean | null;
  readonly matchedBy: MatchedBy | null;
  /** The pattern or prefix that decided. */
  readonly matched: string | null;
  readonly action: Action;
  readonly version: string;
}

/** What the lookup path returns, instead of throwing, for a flow it cannot classify. */
export interface FlowError {
  readonly error: { readonly code: string; readonly message: string };
}

export type ClassifyResult = Classification | FlowError;

export function isFlowError(r: ClassifyResult): r is FlowError {
  return (r as FlowError).error !== undefined;
}

export interface ChangeItems {
  readonly effectiveDate?: string;
  readonly ips?: readonly string[];
  readonly urls?: readonly string[];
}

/** One record of /changes, as Microsoft documents it; unknown fields are kept out. */
export interface ChangeRecord {
  readonly id: number;
  readonly endpointSetId: number;
  readonly disposition: string;
  readonly impact: string | null;
  readonly version: string;
  readonly previous?: Readonly<Record<string, unknown>>;
  readonly current?: Readonly<Record<string, unknown>>;
  readonly add?: ChangeItems;
  readonly remove?: ChangeItems;
}
