import { formatIPv4, formatIPv6, formatIPv6Full, mappedDotted, mappedHex, maxOf, parseAddress, type Prefix } from './addresses.js';
import type { CandidateScan } from './candidates.js';
import { inRanges, type DataModel, type ModelSet } from './data-model.js';
import { Rng } from './rng.js';
import type { ConformanceFlow } from './types.js';

/** The correctness checks, in report order. Each vector belongs to exactly one. */
export const CORRECTNESS_CHECKS = [
  'correctness.ipv4-prefixes',
  'correctness.ipv6-prefixes',
  'correctness.ipv4-mapped',
  'correctness.hosts',
  'correctness.wildcard-apex',
  'correctness.near-misses',
  'correctness.host-case',
  'correctness.ports',
  'correctness.tcp-udp',
  'correctness.precedence',
  'correctness.precedence-ipv6',
] as const;

export type CorrectnessCheckId = (typeof CORRECTNESS_CHECKS)[number];

export interface Vector {
  readonly check: CorrectnessCheckId;
  /** What the vector is, for the report: `first address of 13.107.6.152/31`. */
  readonly label: string;
  readonly flow: ConformanceFlow;
}

export interface VectorOptions {
  readonly seed: number;
  /** Random addresses inside each prefix. */
  readonly randomPerPrefix: number;
}

const HOST_CHARS = /^[a-z0-9_-]+$/;

function validHost(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  return h.split('.').every((l) => l.length > 0 && l.length <= 63 && HOST_CHARS.test(l));
}

/** Hosts a pattern matches: each `*` as one label, and for a leading `*.` two labels, or nothing where that leaves a host. */
function instances(pattern: string): string[] {
  if (!pattern.includes('*')) return validHost(pattern) ? [pattern] : [];
  const out = [pattern.replaceAll('*', 'cert1')];
  if (pattern.startsWith('*.')) out.push(`cert2.b${pattern.slice(1).replaceAll('*', 'cert3')}`);
  const empty = pattern.replaceAll('*', '');
  if (!pattern.startsWith('*.') && !pattern.endsWith('.*') && !pattern.includes('.*.')) out.push(empty);
  return out.filter(validHost);
}

function mixedCase(h: string): string {
  let i = 0;
  return h.replace(/[a-z]/g, (c) => (i++ % 2 === 0 ? c.toUpperCase() : c));
}

/** A port 1..65535 in none of the ranges, near `around` where possible. */
function portOutside(ranges: ModelSet['tcp'], around: number): number | null {
  for (const p of [around, 1, 9, 7, 1234, 65535, 49151]) if (p >= 1 && p <= 65535 && !inRanges(ranges, p)) return p;
  return null;
}

class VectorSink {
  readonly vectors: Vector[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly scan: CandidateScan) {}

  /**
   * Files a port-free vector under its check, unless two or more sets compete for it: then it is a
   * precedence case (kept apart so that a wrong precedence fails only the precedence checks).
   */
  add(check: CorrectnessCheckId, label: string, flow: ConformanceFlow): void {
    const key = JSON.stringify(flow);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    let filed = check;
    if (check !== 'correctness.ports' && check !== 'correctness.tcp-udp' && this.scan.setsFor(flow).length > 1) {
      const v6 = flow.host === undefined && flow.ip !== undefined && parseAddress(flow.ip)?.family === 6;
      filed = v6 ? 'correctness.precedence-ipv6' : 'correctness.precedence';
    }
    this.vectors.push({ check: filed, label, flow });
  }
}

function prefixVectors(sink: VectorSink, rng: Rng, p: Prefix, random: number): void {
  const fmt = p.family === 4 ? formatIPv4 : formatIPv6;
  const check = p.family === 4 ? 'correctness.ipv4-prefixes' : 'correctness.ipv6-prefixes';
  sink.add(check, `first address of ${p.text}`, { ip: fmt(p.first) });
  sink.add(check, `last address of ${p.text}`, { ip: fmt(p.last) });
  if (p.family === 6) sink.add(check, `first address of ${p.text}, uncompressed upper case`, { ip: formatIPv6Full(p.first) });
  for (let i = 0; i < random && p.last - p.first > 1n; i++) {
    sink.add(check, `random address in ${p.text}`, { ip: fmt(rng.bigint(p.first + 1n, p.last - 1n)) });
  }
  if (p.first > 0n) sink.add(check, `just below ${p.text}`, { ip: fmt(p.first - 1n) });
  if (p.last < maxOf(p.family)) sink.add(check, `just above ${p.text}`, { ip: fmt(p.last + 1n) });
  if (p.family === 4) {
    sink.add('correctness.ipv4-mapped', `first address of ${p.text} as ::ffff:a.b.c.d`, { ip: mappedDotted(p.first) });
    sink.add('correctness.ipv4-mapped', `last address of ${p.text} as ::ffff:hhhh:hhhh`, { ip: mappedHex(p.last) });
    if (p.last < maxOf(4)) sink.add('correctness.ipv4-mapped', `just above ${p.text} as ::ffff:a.b.c.d`, { ip: mappedDotted(p.last + 1n) });
  }
}

function hostVectors(sink: VectorSink, model: DataModel): void {
  const patterns = new Map<string, ModelSet>();
  for (const s of model.sets) for (const p of s.patterns) if (!patterns.has(p)) patterns.set(p, s);
  for (const [pattern, set] of patterns) {
    const hosts = instances(pattern);
    for (const h of hosts) sink.add('correctness.hosts', `host from ${pattern}`, { host: h });
    const h = hosts[0];
    if (h !== undefined) {
      sink.add('correctness.host-case', `${pattern} in upper case with a trailing dot`, { host: `${h.toUpperCase()}.` });
      sink.add('correctness.host-case', `${pattern} in mixed case`, { host: mixedCase(h) });
      sink.add('correctness.host-case', `${pattern} with a trailing dot`, { host: `${h}.` });
      const v4 = set.v4[0];
      if (v4 !== undefined) {
        sink.add('correctness.hosts', `host from ${pattern} with an ip of its set ${v4.text}`, { host: h, ip: formatIPv4(v4.first) });
        sink.add('correctness.hosts', `host from ${pattern} with an ip outside Microsoft 365`, { host: h, ip: '192.0.2.1' });
      }
    }
    if (pattern.startsWith('*.')) {
      const apex = pattern.slice(2);
      if (!apex.includes('*') && validHost(apex)) {
        sink.add('correctness.wildcard-apex', `apex of ${pattern}`, { host: apex });
        sink.add('correctness.near-misses', `apex of ${pattern} with a prefix glued on`, { host: `evil${apex}` });
        sink.add('correctness.near-misses', `${pattern} followed by another domain`, { host: `cert1.${apex}.evil.example` });
      }
    } else if (!pattern.includes('*') && validHost(pattern)) {
      sink.add('correctness.near-misses', `${pattern} with a prefix glued on`, { host: `x${pattern}` });
      sink.add('correctness.near-misses', `${pattern} followed by another domain`, { host: `${pattern}.evil.example` });
      sink.add('correctness.near-misses', `${pattern} without its last character`, { host: pattern.slice(0, -1) });
    }
  }
}

/**
 * A flow `set` decides, with ports ignored, that no precedence mode can take from it: one only
 * it matches, else one where every competing set has its category (both modes then rank by
 * specificity alone). Ports vary around it.
 */
function representative(scan: CandidateScan, model: DataModel, set: ModelSet): { label: string; flow: ConformanceFlow } | null {
  const category = new Map(model.sets.map((s) => [s.id, s.category]));
  const flows: Array<{ label: string; flow: ConformanceFlow }> = [
    ...set.patterns.flatMap((p) => instances(p).map((h) => ({ label: `host ${h}`, flow: { host: h } }))),
    ...set.v4.map((p) => ({ label: `ip ${formatIPv4(p.first)}`, flow: { ip: formatIPv4(p.first) } })),
  ];
  let shared: { label: string; flow: ConformanceFlow } | null = null;
  for (const f of flows) {
    const ids = scan.setsFor(f.flow, true);
    if (!ids.includes(set.id)) continue;
    if (ids.length === 1) return f;
    if (shared === null && ids.every((id) => category.get(id) === set.category)) shared = f;
  }
  return shared;
}

function portVectors(sink: VectorSink, scan: CandidateScan, model: DataModel): number {
  let without = 0;
  for (const set of model.sets) {
    if (set.tcp.length === 0 && set.udp.length === 0) continue;
    const rep = representative(scan, model, set);
    if (rep === null) {
      without++;
      continue;
    }
    const on = (check: 'correctness.ports' | 'correctness.tcp-udp', what: string, extra: ConformanceFlow): void =>
      sink.add(check, `${rep.label} (set ${set.id}) ${what}`, { ...rep.flow, ...extra });
    for (const [lo, hi] of set.tcp.slice(0, 4)) {
      on('correctness.ports', `tcp ${lo}, first of ${lo}-${hi}`, { port: lo, protocol: 'tcp' });
      on('correctness.ports', `port ${hi} with no protocol, last of ${lo}-${hi}`, { port: hi });
      if (lo > 1 && !inRanges(set.tcp, lo - 1)) on('correctness.ports', `tcp ${lo - 1}, just below ${lo}-${hi}`, { port: lo - 1, protocol: 'tcp' });
      if (hi < 65535 && !inRanges(set.tcp, hi + 1)) on('correctness.ports', `tcp ${hi + 1}, just above ${lo}-${hi}`, { port: hi + 1, protocol: 'tcp' });
    }
    for (const [lo, hi] of set.udp.slice(0, 4)) {
      on('correctness.ports', `udp ${lo}, first of ${lo}-${hi}`, { port: lo, protocol: 'udp' });
      on('correctness.ports', `udp ${hi}, last of ${lo}-${hi}`, { port: hi, protocol: 'udp' });
      if (hi < 65535 && !inRanges(set.udp, hi + 1)) on('correctness.ports', `udp ${hi + 1}, just above ${lo}-${hi}`, { port: hi + 1, protocol: 'udp' });
    }
    const tcpOut = portOutside(set.tcp, 8443);
    if (tcpOut !== null) on('correctness.ports', `tcp ${tcpOut}, listed nowhere in the set`, { port: tcpOut, protocol: 'tcp' });
    const firstTcp = set.tcp[0];
    if (firstTcp !== undefined) on('correctness.ports', `port "${firstTcp[0]}" as a decimal string`, { port: String(firstTcp[0]), protocol: 'tcp' });

    const tcpOnly = set.tcp.map(([lo]) => lo).find((p) => !inRanges(set.udp, p));
    if (tcpOnly !== undefined) on('correctness.tcp-udp', `tcp port ${tcpOnly} sent as udp`, { port: tcpOnly, protocol: 'udp' });
    const udpOnly = set.udp.map(([lo]) => lo).find((p) => !inRanges(set.tcp, p));
    if (udpOnly !== undefined) {
      on('correctness.tcp-udp', `udp port ${udpOnly} sent as tcp`, { port: udpOnly, protocol: 'tcp' });
      on('correctness.tcp-udp', `udp port ${udpOnly} with no protocol (tcp applies)`, { port: udpOnly });
      on('correctness.tcp-udp', `udp port ${udpOnly} as "UDP"`, { port: udpOnly, protocol: 'UDP' });
    }
    on('correctness.tcp-udp', 'protocol udp, no port', { protocol: 'udp' });
    on('correctness.tcp-udp', 'protocol tcp, no port', { protocol: 'tcp' });
    on('correctness.tcp-udp', 'protocol "Tcp", no port', { protocol: 'Tcp' });
  }
  return without;
}

export interface VectorPlan {
  readonly vectors: readonly Vector[];
  /** Sets with ports but no flow only they decide (their ports are not tested). */
  readonly setsWithoutPortVectors: number;
}

/** Every vector of the correctness checks, generated from the data the target serves. */
export function generateVectors(model: DataModel, scan: CandidateScan, o: VectorOptions): VectorPlan {
  const sink = new VectorSink(scan);
  const rng = new Rng(o.seed);
  const prefixes = new Map<string, Prefix>();
  for (const s of model.sets) for (const p of [...s.v4, ...s.v6]) if (!prefixes.has(p.text)) prefixes.set(p.text, p);
  for (const p of prefixes.values()) prefixVectors(sink, rng, p, o.randomPerPrefix);
  hostVectors(sink, model);
  const setsWithoutPortVectors = portVectors(sink, scan, model);
  return { vectors: sink.vectors, setsWithoutPortVectors };
}
