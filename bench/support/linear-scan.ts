/**
 * The naive baseline and oracle: for each flow, scan every (set, prefix) and (set, pattern) pair.
 * Prefixes are precomputed as numbers and patterns as anchored regexes, so the scan does no
 * parsing per pair; it applies DESIGN.md section 3 literally (eligibility by port/protocol,
 * host verdict before IP verdict, the precedence order of both modes), and shares no code with
 * src/compile or src/match.
 */
import type { Category, EndpointSet, Flow, MatchedBy, PortRange, Precedence } from '../../src/core/types.js';
import { maskV4, parseCidr, parseIPv4Text, parseIPv6Words } from './ip.js';

export interface ScanAnswer {
  readonly endpointSetId: number | null;
  readonly matchedBy: MatchedBy | null;
  readonly matched: string | null;
  readonly category: Category | null;
}

const MISS: ScanAnswer = { endpointSetId: null, matchedBy: null, matched: null, category: null };

const CATEGORY_RANK: Record<Category, number> = { Optimize: 3, Allow: 2, Default: 1 };

interface ScanV4 {
  readonly net: number;
  readonly mask: number;
  readonly len: number;
  readonly text: string;
}

interface ScanV6 {
  readonly net: Uint32Array;
  readonly mask: Uint32Array;
  readonly len: number;
  readonly text: string;
}

interface ScanPattern {
  readonly text: string;
  /** null for an exact host (compared as a string). */
  readonly regex: RegExp | null;
  /** Characters other than `*`. */
  readonly literals: number;
}

interface ScanSet {
  readonly id: number;
  readonly category: Category;
  readonly rank: number;
  readonly tcp: readonly PortRange[];
  readonly udp: readonly PortRange[];
  readonly v4: readonly ScanV4[];
  readonly v6: readonly ScanV6[];
  readonly patterns: readonly ScanPattern[];
}

/** A flow reduced to binary fields. v4 is -1 and v6 null when absent; port 0 when absent. */
export interface ParsedFlow {
  v4: number;
  v6: Uint32Array | null;
  host: string | null;
  port: number;
  /** 0 none, 1 tcp, 2 udp, as classifyIPv4's proto. */
  proto: 0 | 1 | 2;
}

export function globToRegex(pattern: string): RegExp {
  const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

function v6Prefix(text: string, net: bigint, len: number): ScanV6 {
  const words = new Uint32Array(4);
  const mask = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    words[k] = Number((net >> BigInt(96 - 32 * k)) & 0xffffffffn);
    mask[k] = maskV4(Math.max(0, Math.min(32, len - 32 * k)));
  }
  return { net: words, mask, len, text };
}

function inRanges(port: number, ranges: readonly PortRange[]): boolean {
  for (const [lo, hi] of ranges) if (port >= lo && port <= hi) return true;
  return false;
}

/** Parses a flow as section 3 says; throws on bad input (the baseline never sees any). */
export function parseFlow(flow: Flow): ParsedFlow {
  const out: ParsedFlow = { v4: -1, v6: null, host: null, port: 0, proto: 0 };
  if (flow.ip !== undefined) {
    if (flow.ip.includes(':')) {
      const w = parseIPv6Words(flow.ip);
      if (w === null) throw new Error(`linear-scan: bad ip ${flow.ip}`);
      if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) out.v4 = w[3] ?? 0;
      else out.v6 = w;
    } else {
      out.v4 = parseIPv4Text(flow.ip);
      if (out.v4 < 0) throw new Error(`linear-scan: bad ip ${flow.ip}`);
    }
  }
  if (flow.host !== undefined) {
    const h = flow.host.toLowerCase();
    out.host = h.endsWith('.') ? h.slice(0, -1) : h;
  }
  if (flow.port !== undefined) out.port = Number(flow.port);
  if (flow.protocol !== undefined) out.proto = flow.protocol.toLowerCase() === 'udp' ? 2 : 1;
  return out;
}

export class LinearScan {
  private readonly sets: readonly ScanSet[];
  private readonly precedence: Precedence;

  constructor(sets: readonly EndpointSet[], precedence: Precedence = 'specific-first') {
    this.precedence = precedence;
    this.sets = sets.map((s) => {
      const v4: ScanV4[] = [];
      const v6: ScanV6[] = [];
      for (const text of s.ips) {
        const c = parseCidr(text);
        if (c.family === 4) v4.push({ net: c.net, mask: maskV4(c.len), len: c.len, text });
        else v6.push(v6Prefix(text, c.net, c.len));
      }
      const patterns = s.urls.map((text) => ({
        text,
        regex: text.includes('*') ? globToRegex(text) : null,
        literals: text.replaceAll('*', '').length,
      }));
      return { id: s.id, category: s.category, rank: CATEGORY_RANK[s.category], tcp: s.tcpPorts, udp: s.udpPorts, v4, v6, patterns };
    });
  }

  classify(flow: Flow): ScanAnswer {
    return this.classifyParsed(parseFlow(flow));
  }

  classifyParsed(f: ParsedFlow): ScanAnswer {
    const categoryFirst = this.precedence === 'category-first';
    let hostSet: ScanSet | null = null;
    let hostPattern: ScanPattern | null = null;
    let ipSet: ScanSet | null = null;
    let ipPrefix: ScanV4 | ScanV6 | null = null;
    for (const set of this.sets) {
      if (!this.eligible(set, f)) continue;
      if (f.host !== null) {
        for (const p of set.patterns) {
          const hit = p.regex === null ? p.text === f.host : p.regex.test(f.host);
          if (hit && (hostSet === null || hostPattern === null || this.hostBeats(set, p, hostSet, hostPattern, categoryFirst))) {
            hostSet = set;
            hostPattern = p;
          }
        }
      }
      const prefix = this.longestIn(set, f);
      if (prefix !== null && (ipSet === null || ipPrefix === null || this.ipBeats(set, prefix.len, ipSet, ipPrefix.len, categoryFirst))) {
        ipSet = set;
        ipPrefix = prefix;
      }
    }
    if (hostSet !== null && hostPattern !== null) {
      const both = this.longestIn(hostSet, f) !== null;
      return { endpointSetId: hostSet.id, matchedBy: both ? 'host+ip' : 'host', matched: hostPattern.text, category: hostSet.category };
    }
    if (ipSet !== null && ipPrefix !== null) {
      return { endpointSetId: ipSet.id, matchedBy: 'ip', matched: ipPrefix.text, category: ipSet.category };
    }
    return MISS;
  }

  private eligible(set: ScanSet, f: ParsedFlow): boolean {
    const ranges = f.proto === 2 ? set.udp : set.tcp;
    if (f.port !== 0) return inRanges(f.port, ranges);
    if (f.proto !== 0) return ranges.length > 0;
    return true;
  }

  private longestIn(set: ScanSet, f: ParsedFlow): ScanV4 | ScanV6 | null {
    let best: ScanV4 | ScanV6 | null = null;
    if (f.v4 >= 0) {
      for (const p of set.v4) if (((f.v4 & p.mask) >>> 0) === p.net && (best === null || p.len > best.len)) best = p;
    } else if (f.v6 !== null) {
      const a = f.v6;
      for (const p of set.v6) {
        if (
          (((a[0] ?? 0) & (p.mask[0] ?? 0)) >>> 0) === p.net[0] &&
          (((a[1] ?? 0) & (p.mask[1] ?? 0)) >>> 0) === p.net[1] &&
          (((a[2] ?? 0) & (p.mask[2] ?? 0)) >>> 0) === p.net[2] &&
          (((a[3] ?? 0) & (p.mask[3] ?? 0)) >>> 0) === p.net[3] &&
          (best === null || p.len > best.len)
        ) {
          best = p;
        }
      }
    }
    return best;
  }

  /** Specific-first: exact > wildcard, more literals, higher category, lower id. */
  private hostBeats(set: ScanSet, p: ScanPattern, bestSet: ScanSet, bestP: ScanPattern, categoryFirst: boolean): boolean {
    const exact = p.regex === null ? 1 : 0;
    const bestExact = bestP.regex === null ? 1 : 0;
    if (categoryFirst && set.rank !== bestSet.rank) return set.rank > bestSet.rank;
    if (exact !== bestExact) return exact > bestExact;
    if (p.literals !== bestP.literals) return p.literals > bestP.literals;
    if (set.rank !== bestSet.rank) return set.rank > bestSet.rank;
    return set.id < bestSet.id;
  }

  /** Specific-first: longer prefix, higher category, lower id. */
  private ipBeats(set: ScanSet, len: number, bestSet: ScanSet, bestLen: number, categoryFirst: boolean): boolean {
    if (categoryFirst && set.rank !== bestSet.rank) return set.rank > bestSet.rank;
    if (len !== bestLen) return len > bestLen;
    if (set.rank !== bestSet.rank) return set.rank > bestSet.rank;
    return set.id < bestSet.id;
  }
}
