/**
 * Flow generators for the engine-vs-oracle property tests: addresses inside, at the edges of and
 * just outside every prefix, hosts built from every pattern, and port/protocol variants drawn from
 * each set's own lists. Deterministic for a given seed.
 */
import type { Classification, ClassifyResult, EndpointSet, Flow, Precedence } from '../../src/core/types.js';
import { Rng as SeededRng } from '../../plugin-api/conformance/rng.js';
import {
  ANSWER_FIELDS,
  Oracle,
  bitsOf,
  diffClassification,
  formatIPv4,
  formatIPv6,
  formatIPv6Full,
  parseAddress,
  parseIPv6,
  parsePrefix,
  prefixRange,
  type Address,
  type OracleFlow,
  type Prefix,
} from './oracle.js';

export const PRECEDENCES: readonly Precedence[] = ['specific-first', 'category-first'];

/** The conformance kit's seeded mulberry32, with the draws test inputs need. */
export class Rng extends SeededRng {
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  bigBits(bits: number): bigint {
    let v = 0n;
    for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(Math.floor(this.next() * 4294967296));
    return v & ((1n << BigInt(bits)) - 1n);
  }
  /** A uniformly random value in [lo, hi]. */
  bigBetween(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    const bits = span.toString(2).length + 16;
    return lo + (this.bigBits(bits) % span);
  }
}

/** The text forms a client may send for an address. */
export function addressTexts(a: Address, rng: Rng): string[] {
  if (a.family === 4) {
    const dotted = formatIPv4(a.value);
    const forms = [dotted];
    // IPv4-mapped IPv6 must classify as the IPv4 address.
    if (rng.bool(0.3)) forms.push(`::ffff:${dotted}`);
    if (rng.bool(0.1)) forms.push(`::FFFF:${dotted}`);
    if (rng.bool(0.1)) forms.push(`0:0:0:0:0:ffff:${dotted}`);
    return forms;
  }
  const compressed = formatIPv6(a.value);
  const forms = [compressed];
  if (rng.bool(0.4)) forms.push(formatIPv6Full(a.value));
  if (rng.bool(0.2)) forms.push(compressed.toUpperCase());
  return forms;
}

/** Interesting addresses of a prefix: both ends, the middle, random ones, and one step outside. */
export function prefixAddresses(p: Prefix, rng: Rng, randomCount: number): Address[] {
  const { first, last } = prefixRange(p);
  const max = (1n << BigInt(bitsOf(p.family))) - 1n;
  const values = [first, last, first + (last - first) / 2n];
  for (let i = 0; i < randomCount; i++) values.push(rng.bigBetween(first, last));
  if (first > 0n) values.push(first - 1n);
  if (last < max) values.push(last + 1n);
  return values.map((value) => ({ family: p.family, value }));
}

/** One random address inside the prefix. */
export function randomInside(p: Prefix, rng: Rng): Address {
  const { first, last } = prefixRange(p);
  return { family: p.family, value: rng.bigBetween(first, last) };
}

/** Binary form of an address for classifyIPv6: four big-endian 32-bit words. */
export function ipv6Words(value: bigint): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = Number((value >> BigInt(96 - 32 * i)) & 0xffffffffn);
  return w;
}

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomLabel(rng: Rng, min = 1, max = 12): string {
  const len = rng.int(min, max);
  let s = '';
  for (let i = 0; i < len; i++) s += LABEL_CHARS[rng.int(0, LABEL_CHARS.length - 1)];
  if (len >= 3 && rng.bool(0.2)) s = `${s.slice(0, 1)}-${s.slice(2)}`;
  return s;
}

/** A DNS name every reading of section 3 accepts: LDH labels of 1-63, no edge hyphens, <= 253. */
export function isPlainHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host
    .split('.')
    .every((l) => l.length >= 1 && l.length <= 63 && /^[a-z0-9-]+$/.test(l) && !l.startsWith('-') && !l.endsWith('-'));
}

/** Hosts a pattern should match: each `*` replaced by a label, several labels, or nothing. */
export function hostsFromPattern(pattern: string, rng: Rng, count: number): string[] {
  const out = new Set<string>();
  if (!pattern.includes('*')) {
    out.add(pattern);
  } else {
    const fills = [
      () => randomLabel(rng),
      () => `${randomLabel(rng)}.${randomLabel(rng)}`,
      () => `${randomLabel(rng)}.${randomLabel(rng)}.${randomLabel(rng)}`,
      () => '',
      () => 'contoso',
    ];
    for (let i = 0; i < count * 2 && out.size < count; i++) {
      const host = pattern.replace(/\*/g, () => rng.pick(fills)());
      if (isPlainHostName(host)) out.add(host);
    }
  }
  return [...out];
}

/** Hosts that look like the pattern but that it must not match (other patterns still might). */
export function nearMisses(pattern: string, rng: Rng): string[] {
  const out: string[] = [];
  if (pattern.startsWith('*.')) {
    const apex = pattern.slice(2);
    out.push(apex, `evil${apex}`, `${randomLabel(rng)}${apex}`);
  }
  const literal = pattern.replace(/\*/g, randomLabel(rng, 1, 4));
  out.push(`x${literal}`, `${literal}.evil.net`, `${literal}x`);
  if (!pattern.includes('*')) {
    const dot = pattern.indexOf('.');
    if (dot > 0) out.push(pattern.slice(dot + 1), `${pattern.slice(0, dot)}x${pattern.slice(dot)}`);
    out.push(`${randomLabel(rng)}.${pattern}`);
  }
  return out.filter(isPlainHostName);
}

/** How a client may spell a host: upper case, mixed case, one trailing dot. */
export function hostSpellings(host: string, rng: Rng): string[] {
  const forms = [host];
  if (rng.bool(0.25)) forms.push(host.toUpperCase());
  if (rng.bool(0.25)) forms.push(`${host}.`);
  if (rng.bool(0.15)) {
    forms.push(
      [...host].map((c) => (rng.bool() ? c.toUpperCase() : c)).join('') + (rng.bool() ? '.' : ''),
    );
  }
  return forms;
}

export interface PortVariant {
  port?: number;
  protocol?: 'tcp' | 'udp';
}

const COMMON_PORTS = [22, 25, 53, 80, 143, 443, 587, 993, 995, 3478, 3479, 3480, 3481, 5223, 8080];

function portsNear(ranges: EndpointSet['tcpPorts'], rng: Rng): number[] {
  const out: number[] = [];
  for (const [lo, hi] of ranges) {
    out.push(lo, hi, rng.int(lo, hi));
    if (lo > 1) out.push(lo - 1);
    if (hi < 65535) out.push(hi + 1);
  }
  return out;
}

/** Port/protocol combinations around one set's own lists, plus common ports and none at all. */
export function portVariants(set: EndpointSet, rng: Rng, count: number): PortVariant[] {
  const tcp = portsNear(set.tcpPorts, rng);
  const udp = portsNear(set.udpPorts, rng);
  const makers: Array<() => PortVariant> = [
    () => ({}),
    () => ({ protocol: 'tcp' }),
    () => ({ protocol: 'udp' }),
    () => ({ port: rng.pick(COMMON_PORTS) }),
    () => ({ port: rng.pick(COMMON_PORTS), protocol: rng.bool() ? 'tcp' : 'udp' }),
    () => ({ port: rng.int(1, 65535), protocol: rng.bool() ? 'tcp' : 'udp' }),
  ];
  if (tcp.length > 0) {
    makers.push(
      () => ({ port: rng.pick(tcp) }),
      () => ({ port: rng.pick(tcp), protocol: 'tcp' }),
      () => ({ port: rng.pick(tcp), protocol: 'udp' }),
    );
  }
  if (udp.length > 0) {
    makers.push(
      () => ({ port: rng.pick(udp), protocol: 'udp' }),
      () => ({ port: rng.pick(udp), protocol: 'udp' }),
      () => ({ port: rng.pick(udp) }),
    );
  }
  const out: PortVariant[] = [];
  for (let i = 0; i < count; i++) out.push(rng.pick(makers)());
  return out;
}

/** A flow as sent on the wire, with the port sometimes a decimal string and the protocol in any case. */
export function wireFlow(target: { ip?: string; host?: string }, v: PortVariant, rng: Rng): Flow {
  const flow: Flow = { ...target };
  if (v.port !== undefined) flow.port = rng.bool(0.15) ? String(v.port) : v.port;
  if (v.protocol !== undefined) flow.protocol = rng.bool(0.15) ? v.protocol.toUpperCase() : v.protocol;
  return flow;
}

/** The oracle's view of a valid wire flow. */
export function oracleFlow(flow: Flow): OracleFlow {
  const o: OracleFlow = {};
  if (flow.ip !== undefined) o.ip = flow.ip;
  if (flow.host !== undefined) o.host = flow.host;
  if (flow.port !== undefined) o.port = Number(flow.port);
  if (flow.protocol !== undefined) o.protocol = flow.protocol.toLowerCase() as 'tcp' | 'udp';
  return o;
}

export function protocolCode(protocol: string | undefined): 0 | 1 | 2 {
  if (protocol === undefined) return 0;
  return protocol.toLowerCase() === 'udp' ? 2 : 1;
}

export function prefixesOf(sets: readonly EndpointSet[]): Array<{ set: EndpointSet; prefix: Prefix }> {
  const out: Array<{ set: EndpointSet; prefix: Prefix }> = [];
  for (const set of sets) {
    for (const text of set.ips) {
      const prefix = parsePrefix(text);
      if (prefix === null) throw new Error(`unparseable prefix ${text}`);
      out.push({ set, prefix });
    }
  }
  return out;
}

export function addressOf(text: string): Address {
  const a = parseAddress(text);
  if (a === null) throw new Error(`not an address: ${text}`);
  return a;
}

/** The part of the engine's Classifier these comparisons drive. */
export interface EngineUnderTest {
  readonly version: string;
  classify(flow: Flow): ClassifyResult;
  classifyIPv4(addr: number, port?: number, proto?: 0 | 1 | 2): Classification;
  classifyIPv6(addr: Uint32Array, port?: number, proto?: 0 | 1 | 2): Classification;
}

function sameAnswer(a: Classification, b: Classification): boolean {
  return ANSWER_FIELDS.every((f) => a[f] === b[f]);
}

/**
 * Runs flows through the engine in both precedence modes and through the oracle, recording every
 * disagreement (text path vs oracle, and binary path vs text path) and what kinds of answer were
 * seen, so a test can also check that its flows exercised every verdict.
 */
export class Comparison {
  flows = 0;
  binaryChecks = 0;
  readonly seen: Record<string, number> = {};
  readonly mismatches: string[] = [];

  constructor(
    private readonly engines: Record<Precedence, EngineUnderTest>,
    private readonly oracle: Oracle,
    private readonly label: string,
  ) {}

  mismatchCount = 0;
  /** Flows on which the two precedence modes pick different sets: evidence both modes were tested. */
  modesDiffer = 0;

  private fail(message: string): void {
    this.mismatchCount++;
    // A few examples say enough; keep memory bounded when something is badly wrong.
    if (this.mismatches.length < 20) this.mismatches.push(`${this.label}: ${message}`);
  }

  run(flow: Flow): void {
    const version = this.engines['specific-first'].version;
    const expected = this.oracle.classifyBoth(oracleFlow(flow), version);
    if (expected['specific-first'].result.endpointSetId !== expected['category-first'].result.endpointSetId) this.modesDiffer++;
    for (const mode of PRECEDENCES) {
      this.flows++;
      const engine = this.engines[mode];
      const got = engine.classify(flow);
      const want = expected[mode];
      const diffs = diffClassification(got, want);
      if (diffs.length > 0) {
        this.fail(`${mode} ${JSON.stringify(flow)}: ${diffs.join('; ')}`);
        continue;
      }
      const answer = got as Classification;
      const kind = answer.m365 ? `${mode}:${String(answer.matchedBy)}` : `${mode}:none`;
      this.seen[kind] = (this.seen[kind] ?? 0) + 1;
      if (flow.ip !== undefined && flow.host === undefined) this.checkBinary(engine, flow, answer, mode);
    }
  }

  private checkBinary(engine: EngineUnderTest, flow: Flow, text: Classification, mode: Precedence): void {
    const port = flow.port === undefined ? 0 : Number(flow.port);
    const proto = protocolCode(flow.protocol);
    const text6 = parseIPv6(flow.ip ?? '');
    const addr = addressOf(flow.ip ?? '');
    const results: Array<[string, Classification]> = [];
    if (addr.family === 4) results.push(['classifyIPv4', engine.classifyIPv4(Number(addr.value), port, proto)]);
    // Mapped addresses given as IPv6 words must land on the IPv4 answer too.
    if (text6 !== null) results.push(['classifyIPv6', engine.classifyIPv6(ipv6Words(text6), port, proto)]);
    for (const [path, answer] of results) {
      this.binaryChecks++;
      if (!sameAnswer(answer, text)) {
        this.fail(`${mode} ${path} ${JSON.stringify(flow)}: binary ${JSON.stringify(answer)} vs text ${JSON.stringify(text)}`);
      }
    }
  }
}
