/**
 * Synthetic Microsoft-like /endpoints responses, N times the size of a real one, for scale
 * benchmarks. Deterministic: the same (template, scale, seed) gives the same array, byte for byte.
 *
 * Copy 0 is the real template unchanged; copies 1..N-1 are derived from it:
 * - set ids: template id + k * stride (stride a power of ten above the largest template id);
 * - prefixes: each copy XORs every template prefix with one random mask per family (routing bits
 *   only, see randomMask). XOR keeps the template's nesting (a /40 inside a /36 stays inside it) while moving the copy elsewhere; the
 *   mask is redrawn until the copy overlaps no earlier copy, no template prefix and no
 *   special-purpose range. A few extra more-specific prefixes per copy are nested inside another
 *   set's prefix, so longest-prefix match across sets is exercised;
 * - hosts: each registrable domain (last two labels) gets a per-copy name, so the suffix
 *   structure and every template wildcard shape repeat; each copy adds patterns of every glob
 *   shape (`*.a.d`, `*a.d`, `a*.d`, `a*b.d`, `a.*.d`, `*.a.*.d`, `a.d.*`) and new exact hosts;
 * - ports: mostly the template's strings; some sets get other realistic strings
 *   ("443,80", "143, 587, 993, 995", "3478-3481", ...).
 */
import { readRealResponse } from '../../test/support/data.js';
import { Prng } from './prng.js';
import { maskV4, maskV6, parseCidr, formatIPv4, formatIPv6Big } from './ip.js';

/** One endpoint set as the web service sends it (ports are strings). */
export interface RawEndpointSet {
  id: number;
  serviceArea: string;
  serviceAreaDisplayName: string;
  urls?: string[];
  ips?: string[];
  tcpPorts?: string;
  udpPorts?: string;
  expressRoute: boolean;
  category: string;
  required: boolean;
  notes?: string;
}

/** The real response the synthetic sets are scaled from: the newest with IPv4 and IPv6. */
export const TEMPLATE_RESPONSE = 'worldwide-commit20200531.json';

const TCP_PORT_STRINGS = ['443', '80,443', '443,80', '143, 587, 993, 995', '25', '587', '80,443,3478-3481', '443,50000-59999'];
const UDP_PORT_STRINGS = ['443', '3478,3479,3480,3481', '3478-3481', '3478-3481,50000-59999'];

/** Special-purpose ranges no synthetic prefix may touch (RFC 6890 and friends). */
const RESERVED_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/3',
];
const RESERVED_V6 = ['2001::/32', '2001:db8::/32', '2002::/16'];

/** Disjoint closed intervals, sorted by start, over one address family. */
class IntervalSet {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];

  overlaps(start: bigint, end: bigint): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] as bigint) <= end) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && (this.ends[found] as bigint) >= start;
  }

  /** Adds intervals that may nest or overlap each other but not those already held. */
  addAll(intervals: ReadonlyArray<readonly [bigint, bigint]>): void {
    const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const merged: Array<[bigint, bigint]> = [];
    for (const [s, e] of sorted) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1] + 1n) {
        if (e > last[1]) last[1] = e;
      } else {
        merged.push([s, e]);
      }
    }
    for (const [s, e] of merged) {
      let i = this.starts.length;
      while (i > 0 && (this.starts[i - 1] as bigint) > s) i--;
      this.starts.splice(i, 0, s);
      this.ends.splice(i, 0, e);
    }
  }
}

interface FamilyPrefix {
  readonly family: 4 | 6;
  readonly net: bigint;
  readonly len: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function toFamilyPrefix(text: string): FamilyPrefix {
  const c = parseCidr(text);
  return c.family === 4 ? { family: 4, net: BigInt(c.net), len: c.len } : { family: 6, net: c.net, len: c.len };
}

function netmask(family: 4 | 6, len: number): bigint {
  return family === 4 ? BigInt(maskV4(len)) : maskV6(len);
}

function interval(p: FamilyPrefix): readonly [bigint, bigint] {
  const hostBits = (1n << BigInt(BITS[p.family] - p.len)) - 1n;
  return [p.net, p.net | hostBits];
}

function formatPrefix(p: FamilyPrefix): string {
  const addr = p.family === 4 ? formatIPv4(Number(p.net)) : formatIPv6Big(p.net);
  return `${addr}/${p.len}`;
}

/**
 * A copy's XOR mask: random in the routing part only (top 16 bits of IPv4, top 48 of IPv6), so
 * the low bits of long prefixes stay as Microsoft wrote them (`2620:1ec:4::152/128` stays short
 * text, as real addresses are) while the copy moves to other /16s or /48s.
 */
function randomMask(prng: Prng, family: 4 | 6): bigint {
  if (family === 4) return BigInt(prng.u32() >>> 16) << 16n;
  // Top three bits stay 0 so IPv6 copies stay in 2000::/3, global unicast, like Microsoft's.
  const top = (BigInt(prng.u32() & 0x1fffffff) << 16n) | BigInt(prng.u32() >>> 16);
  return top << 80n;
}

/** `bits` random low bits. */
function randomBits(prng: Prng, bits: number): bigint {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(prng.u32());
  return v & ((1n << BigInt(bits)) - 1n);
}

/** Maps every template prefix of one family for copy k: one XOR mask, redrawn until it fits. */
function mapFamily(prng: Prng, family: 4 | 6, prefixes: readonly FamilyPrefix[], taken: IntervalSet): Map<string, FamilyPrefix> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const mask = randomMask(prng, family);
    const mapped = prefixes.map((p) => ({ family, net: (p.net ^ mask) & netmask(family, p.len), len: p.len }));
    const intervals = mapped.map(interval);
    if (intervals.some(([s, e]) => taken.overlaps(s, e))) continue;
    taken.addAll(intervals);
    return new Map(prefixes.map((p, i) => [formatPrefix(p), mapped[i] as FamilyPrefix]));
  }
  throw new Error(`generate-sets: no free IPv${family} space for another copy`);
}

/** A random more-specific prefix inside parent, 1 to 8 bits longer. */
function nestedChild(prng: Prng, parent: FamilyPrefix): FamilyPrefix {
  const bits = BITS[parent.family];
  const len = Math.min(bits, parent.len + 1 + prng.int(8));
  const hostRandom = randomBits(prng, bits - parent.len);
  return { family: parent.family, net: (parent.net | hostRandom) & netmask(parent.family, len), len };
}

function registrableDomain(host: string): string | null {
  const labels = host.split('.');
  if (labels.length < 2) return null;
  const domain = labels.slice(-2).join('.');
  return domain.includes('*') ? null : domain;
}

function renameHost(pattern: string, domains: Map<string, string>): string {
  const domain = registrableDomain(pattern);
  const renamed = domain === null ? undefined : domains.get(domain);
  if (domain === null || renamed === undefined) return pattern;
  return pattern.slice(0, pattern.length - domain.length) + renamed;
}

/** The glob shapes each synthetic copy adds, over one of its renamed domains. */
function extraPatterns(prng: Prng, domain: string): string[] {
  const w = (): string => prng.word(3 + prng.int(6));
  const sld = domain.slice(0, domain.lastIndexOf('.'));
  return [
    `*.${w()}.${domain}`,
    `*${w()}.${domain}`,
    `${w()}*.${domain}`,
    `${w()}-*.${domain}`,
    `${w()}*${w()}.${domain}`,
    `${w()}.*.${domain}`,
    `*.${w()}.*.${domain}`,
    `${w()}.${sld}.*`,
    `${w()}.${domain}`,
    `${w()}.${w()}.${domain}`,
  ];
}

/** Reads an /endpoints array loosely: only what the generator needs to copy. */
export function toRawEndpointSets(data: unknown): RawEndpointSet[] {
  if (!Array.isArray(data)) throw new Error('generate-sets: template is not an array');
  return data.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || typeof (item as { id?: unknown }).id !== 'number') {
      throw new Error('generate-sets: template item is not an endpoint set');
    }
    return structuredClone(item) as RawEndpointSet;
  });
}

/** The template scaled `scale` times (scale 1 returns a copy of the template). */
export function generateEndpointSets(template: readonly RawEndpointSet[], scale: number, seed = 0x0365): RawEndpointSet[] {
  if (!Number.isInteger(scale) || scale < 1) throw new Error('generate-sets: scale must be a positive integer');
  const prng = new Prng(seed);
  const maxId = Math.max(...template.map((s) => s.id));
  const stride = 10 ** Math.ceil(Math.log10(maxId + 1));

  const unique = new Map<string, FamilyPrefix>();
  for (const set of template) for (const ip of set.ips ?? []) unique.set(ip, toFamilyPrefix(ip));
  const byFamily = { 4: [] as FamilyPrefix[], 6: [] as FamilyPrefix[] };
  for (const p of unique.values()) byFamily[p.family].push(p);

  const taken = { 4: new IntervalSet(), 6: new IntervalSet() };
  taken[4].addAll(RESERVED_V4.map((t) => interval(toFamilyPrefix(t))));
  taken[6].addAll(RESERVED_V6.map((t) => interval(toFamilyPrefix(t))));
  taken[4].addAll(byFamily[4].map(interval));
  taken[6].addAll(byFamily[6].map(interval));

  const domainNames = new Set<string>();
  for (const set of template) {
    for (const url of set.urls ?? []) {
      const d = registrableDomain(url);
      if (d !== null) domainNames.add(d);
    }
  }

  const out: RawEndpointSet[] = template.map((s) => structuredClone(s));
  const usedTags = new Set<string>();
  for (let k = 1; k < scale; k++) {
    const v4 = mapFamily(prng, 4, byFamily[4], taken[4]);
    const v6 = mapFamily(prng, 6, byFamily[6], taken[6]);
    let tag = prng.word(5);
    while (usedTags.has(tag)) tag = prng.word(5);
    usedTags.add(tag);
    const domains = new Map<string, string>();
    for (const d of domainNames) {
      const dot = d.lastIndexOf('.');
      domains.set(d, `${d.slice(0, dot)}-${tag}${d.slice(dot)}`);
    }

    const copy: RawEndpointSet[] = template.map((t) => {
      const set: RawEndpointSet = { ...structuredClone(t), id: t.id + k * stride };
      if (t.urls) set.urls = t.urls.map((u) => renameHost(u, domains));
      if (t.ips) {
        set.ips = t.ips.map((ip) => {
          const p = toFamilyPrefix(ip);
          const mapped = (p.family === 4 ? v4 : v6).get(formatPrefix(p));
          if (!mapped) throw new Error(`generate-sets: prefix ${ip} was not mapped`);
          return formatPrefix(mapped);
        });
      }
      if (set.tcpPorts !== undefined && prng.chance(0.2)) set.tcpPorts = prng.pick(TCP_PORT_STRINGS);
      if (set.udpPorts !== undefined ? prng.chance(0.2) : prng.chance(0.05)) set.udpPorts = prng.pick(UDP_PORT_STRINGS);
      return set;
    });

    const withIps = copy.filter((s) => (s.ips?.length ?? 0) > 0);
    for (const family of [4, 6] as const) {
      const maxParentLen = family === 4 ? 24 : 64;
      for (let n = 0; n < 2; n++) {
        const owner = prng.pick(withIps);
        const parents = (owner.ips ?? []).map(toFamilyPrefix).filter((p) => p.family === family && p.len <= maxParentLen);
        if (parents.length === 0) continue;
        const child = formatPrefix(nestedChild(prng, prng.pick(parents)));
        const others = withIps.filter((s) => s !== owner && !(s.ips ?? []).includes(child));
        const target = others.length > 0 ? prng.pick(others) : undefined;
        if (target) target.ips = [...(target.ips ?? []), child];
      }
    }

    const withUrls = copy.filter((s) => (s.urls?.length ?? 0) > 0);
    const renamed = [...domains.values()];
    for (const pattern of extraPatterns(prng, prng.pick(renamed))) {
      const target = prng.pick(withUrls);
      if (!(target.urls ?? []).includes(pattern)) target.urls = [...(target.urls ?? []), pattern];
    }
    out.push(...copy);
  }
  return out;
}

/** Microsoft's real 2020-05 Worldwide response scaled `scale` times. */
export function generateScaledWorldwide(scale: number, seed?: number): RawEndpointSet[] {
  return generateEndpointSets(toRawEndpointSets(readRealResponse(TEMPLATE_RESPONSE)), scale, seed);
}
