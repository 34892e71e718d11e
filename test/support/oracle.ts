/**
 * A brute-force reference classifier, written from DESIGN.md section 3 alone and sharing no code
 * with src/. It scans every (set, pattern) and (set, prefix) pair for every flow: slow, and
 * simple enough to check by reading. Property tests compare the engine against it.
 *
 * It accepts only valid flows (tests generate those); flow validation is tested separately.
 */
import type {
  Action,
  Category,
  Classification,
  EndpointSet,
  MatchedBy,
  Precedence,
  PortRange,
} from '../../src/core/types.js';

// ---------------------------------------------------------------------------------------------
// Addresses, as BigInt. IPv4 is 32 bits, IPv6 128 bits.

export interface Address {
  readonly family: 4 | 6;
  readonly value: bigint;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;

export function parseIPv4(text: string): bigint | null {
  const m = IPV4_RE.exec(text);
  if (m === null) return null;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** IPv6 text to 128-bit value: `::` once at most, an embedded dotted IPv4 in the last 32 bits. */
export function parseIPv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string, allowTrailingV4: boolean): number[] | null => {
    if (part === '') return [];
    const pieces = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (allowTrailingV4 && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP_RE.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 1) {
    const all = groupsOf(halves[0] ?? '', true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    const head = groupsOf(halves[0] ?? '', false);
    const tail = groupsOf(halves[1] ?? '', true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** An IPv4-mapped IPv6 address (`::ffff:0:0/96`) is the IPv4 address it carries. */
export function parseAddress(text: string): Address | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

export function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

function ipv6Groups(value: bigint): number[] {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

/** RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups as `::`, first on ties. */
export function formatIPv6(value: bigint): string {
  const groups = ipv6Groups(value);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** All eight groups, four digits each: `2603:1006:0000:...`. */
export function formatIPv6Full(value: bigint): string {
  return ipv6Groups(value)
    .map((g) => g.toString(16).padStart(4, '0'))
    .join(':');
}

export interface Prefix {
  readonly text: string;
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly length: number;
}

export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const length = Number(lenText);
  const addrText = text.slice(0, slash);
  const v4 = parseIPv4(addrText);
  if (v4 !== null) return length <= 32 ? { text, family: 4, network: v4, length } : null;
  const v6 = parseIPv6(addrText);
  if (v6 !== null) return length <= 128 ? { text, family: 6, network: v6, length } : null;
  return null;
}

/** First and last address of a prefix (the network address itself may have host bits set). */
export function prefixRange(p: Prefix): { first: bigint; last: bigint } {
  const hostBits = BigInt(bitsOf(p.family) - p.length);
  const first = (p.network >> hostBits) << hostBits;
  return { first, last: first + (1n << hostBits) - 1n };
}

export function prefixContains(p: Prefix, a: Address): boolean {
  if (p.family !== a.family) return false;
  const hostBits = BigInt(bitsOf(p.family) - p.length);
  return a.value >> hostBits === p.network >> hostBits;
}

/** Canonical CIDR text, as the engine's normalized `EndpointSet.ips` are documented to be. */
export function canonicalPrefix(text: string): string | null {
  const p = parsePrefix(text);
  if (p === null) return null;
  const addr = p.family === 4 ? formatIPv4(p.network) : formatIPv6(p.network);
  return `${addr}/${p.length}`;
}

// ---------------------------------------------------------------------------------------------
// Host patterns: `*` matches any run of characters (dots included), anchored at both ends.

/**
 * Anchored `*` glob: the text must start with the part before the first `*`, end with the part
 * after the last, and contain the parts in between in order without overlap. Taking each middle
 * part at its leftmost position is safe: it leaves the most room for the parts after it.
 */
export function globMatch(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const head = parts[0] ?? '';
  const tail = parts[parts.length - 1] ?? '';
  if (text.length < head.length + tail.length) return false;
  if (!text.startsWith(head) || !text.endsWith(tail)) return false;
  const end = text.length - tail.length;
  let pos = head.length;
  for (const part of parts.slice(1, -1)) {
    const at = text.indexOf(part, pos);
    if (at < 0 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return true;
}

export function literalCount(pattern: string): number {
  let n = 0;
  for (const c of pattern) if (c !== '*') n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// The classifier.

export interface OracleFlow {
  ip?: string;
  host?: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
}

export interface OracleAnswer {
  readonly result: Classification;
  /** Every `matched` value that ties with the winner on every rule (same set, equal rank). */
  readonly matchedAlternatives: readonly string[];
}

const CATEGORY_RANK: Record<Category, number> = { Optimize: 3, Allow: 2, Default: 1 };
const ACTION: Record<Category, Action> = { Optimize: 'bypass', Allow: 'direct', Default: 'default' };

interface CompiledSet {
  readonly set: EndpointSet;
  readonly patterns: readonly string[];
  readonly prefixes: readonly Prefix[];
}

interface Candidate {
  readonly set: EndpointSet;
  readonly matched: string;
  /** Specificity, compared element by element: larger wins. */
  readonly specificity: readonly number[];
}

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some(([lo, hi]) => lo <= port && port <= hi);
}

export function isEligible(set: EndpointSet, port: number | undefined, protocol: 'tcp' | 'udp' | undefined): boolean {
  const ports = protocol === 'udp' ? set.udpPorts : set.tcpPorts;
  if (port !== undefined) return inRanges(ports, port);
  if (protocol !== undefined) return ports.length > 0;
  return true;
}

function rankKey(c: Candidate, precedence: Precedence): number[] {
  const category = CATEGORY_RANK[c.set.category];
  // Lower set id wins, so negate it to keep "larger wins" throughout.
  return precedence === 'specific-first'
    ? [...c.specificity, category, -c.set.id]
    : [category, ...c.specificity, -c.set.id];
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The best candidates: all that tie with the winner on the full rank key. */
function best(cands: readonly Candidate[], precedence: Precedence): Candidate[] {
  let top: Candidate[] = [];
  let topKey: number[] | null = null;
  for (const c of cands) {
    const key = rankKey(c, precedence);
    const cmp = topKey === null ? 1 : compareKeys(key, topKey);
    if (cmp > 0) {
      top = [c];
      topKey = key;
    } else if (cmp === 0) {
      top.push(c);
    }
  }
  return top;
}

export interface OracleOptions {
  readonly precedence: Precedence;
  readonly version: string;
}

export class Oracle {
  private readonly sets: readonly CompiledSet[];

  /** `tenantName` fills tenant positions the way the web service's `TenantName` does (see `withTenant`). */
  constructor(sets: readonly EndpointSet[], tenantName?: string) {
    this.sets = sets.map((set) => ({
      set,
      patterns: tenantName === undefined ? set.urls : set.urls.flatMap((u) => withTenant(u, tenantName)),
      prefixes: set.ips.map((text) => {
        const p = parsePrefix(text);
        if (p === null) throw new Error(`oracle: cannot parse prefix ${text} of set ${set.id}`);
        return p;
      }),
    }));
  }

  /** Classifies one valid flow under both precedence modes from a single scan. */
  classifyBoth(flow: OracleFlow, version: string): Record<Precedence, OracleAnswer> {
    const host = flow.host === undefined ? undefined : normalizeHost(flow.host);
    const addr = flow.ip === undefined ? undefined : parseAddress(flow.ip);
    if (addr === null) throw new Error(`oracle: invalid ip ${String(flow.ip)}`);

    const hostCands: Candidate[] = [];
    const ipCands: Candidate[] = [];
    for (const { set, patterns, prefixes } of this.sets) {
      if (!isEligible(set, flow.port, flow.protocol)) continue;
      if (host !== undefined) {
        for (const pattern of patterns) {
          if (!globMatch(pattern, host)) continue;
          const exact = pattern.includes('*') ? 0 : 1;
          hostCands.push({ set, matched: pattern, specificity: [exact, literalCount(pattern)] });
        }
      }
      if (addr !== undefined) {
        for (const p of prefixes) {
          if (prefixContains(p, addr)) ipCands.push({ set, matched: p.text, specificity: [p.length] });
        }
      }
    }

    const decide = (precedence: Precedence): OracleAnswer => {
      const hostTop = best(hostCands, precedence);
      if (hostTop.length > 0) {
        const winner = hostTop[0] as Candidate;
        const alsoIp =
          addr !== undefined &&
          this.sets.some((s) => s.set === winner.set && s.prefixes.some((p) => prefixContains(p, addr)));
        return answer(winner, alsoIp ? 'host+ip' : 'host', hostTop, version);
      }
      const ipTop = best(ipCands, precedence);
      if (ipTop.length > 0) return answer(ipTop[0] as Candidate, 'ip', ipTop, version);
      return { result: notM365(version), matchedAlternatives: [] };
    };
    return { 'specific-first': decide('specific-first'), 'category-first': decide('category-first') };
  }

  classify(flow: OracleFlow, options: OracleOptions): OracleAnswer {
    return this.classifyBoth(flow, options.version)[options.precedence];
  }
}

/**
 * The patterns a pattern stands for with a tenant (DESIGN.md section 3): the leading `*` of
 * `*-<label>.sharepoint.com` and the `*` of `autodiscover.*.onmicrosoft.com` become the tenant;
 * `*.sharepoint.com` stands for both `<tenant>.sharepoint.com` and `<tenant>-my.sharepoint.com`
 * (Microsoft's tables for set 31 list both: OneDrive must keep its category).
 */
export function withTenant(pattern: string, tenant: string): string[] {
  if (pattern === 'autodiscover.*.onmicrosoft.com') return [`autodiscover.${tenant}.onmicrosoft.com`];
  if (pattern === '*.sharepoint.com') return [`${tenant}.sharepoint.com`, `${tenant}-my.sharepoint.com`];
  const rest = pattern.slice(1);
  if (pattern.startsWith('*') && /^-[a-z0-9]+\.sharepoint\.com$/.test(rest)) return [tenant + rest];
  return [pattern];
}

export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function answer(winner: Candidate, matchedBy: MatchedBy, ties: readonly Candidate[], version: string): OracleAnswer {
  const s = winner.set;
  return {
    result: {
      m365: true,
      category: s.category,
      serviceArea: s.serviceArea,
      endpointSetId: s.id,
      expressRoute: s.expressRoute,
      required: s.required,
      matchedBy,
      matched: winner.matched,
      action: ACTION[s.category],
      version,
    },
    matchedAlternatives: ties.map((t) => t.matched),
  };
}

export function notM365(version: string): Classification {
  return {
    m365: false,
    category: null,
    serviceArea: null,
    endpointSetId: null,
    expressRoute: null,
    required: null,
    matchedBy: null,
    matched: null,
    action: 'none',
    version,
  };
}

/** The fields of an answer, in the contract's order. */
export const ANSWER_FIELDS: readonly (keyof Classification)[] = [
  'm365',
  'category',
  'serviceArea',
  'endpointSetId',
  'expressRoute',
  'required',
  'matchedBy',
  'matched',
  'action',
  'version',
];

/** Field-by-field differences between an engine answer and the oracle's; empty when they agree. */
export function diffClassification(actual: unknown, expected: OracleAnswer): string[] {
  if (typeof actual !== 'object' || actual === null) return [`not an object: ${JSON.stringify(actual)}`];
  const a = actual as Record<string, unknown>;
  const diffs: string[] = [];
  for (const f of ANSWER_FIELDS) {
    const want = expected.result[f];
    const got = a[f];
    if (f === 'matched' && typeof got === 'string' && expected.matchedAlternatives.includes(got)) continue;
    if (got !== want) diffs.push(`${f}: engine ${JSON.stringify(got)}, oracle ${JSON.stringify(want)}`);
  }
  const extra = Object.keys(a).filter((k) => !(ANSWER_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) diffs.push(`unexpected fields: ${extra.join(', ')}`);
  return diffs;
}
