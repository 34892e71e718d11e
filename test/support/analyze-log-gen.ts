/**
 * Seeded flow-log generator for analyze's tests, screenshots and benchmark: realistic lines (a
 * timestamp, a site, a source address, a destination drawn from the endpoint sets' own hosts,
 * prefixes and ports, bytes with a heavy tail, the path the flow took), a popular set of other
 * destinations and a long tail of unique ones that exercises the bounded tables.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { EndpointSet } from '../../src/core/types.js';
import { Prng } from '../../bench/support/prng.js';

export interface SiteSpec {
  readonly name: string;
  /** What the `via` column says for this site's traffic. */
  readonly path: string;
  /** Relative amount of traffic. */
  readonly weight: number;
}

export const DEMO_SITES: readonly SiteSpec[] = [
  { name: 'hq-london', path: 'proxy', weight: 5 },
  { name: 'branch-paris', path: 'direct', weight: 2 },
  { name: 'branch-berlin', path: 'vpn', weight: 2 },
  { name: 'branch-madrid', path: 'direct', weight: 1 },
  { name: 'dc-dublin', path: 'proxy', weight: 1.5 },
];

export const LOG_HEADER = 'time,site,src_ip,dst_ip,dst_port,proto,sni,bytes,via';

export interface LogGenOptions {
  readonly lines: number;
  readonly seed?: number;
  readonly format?: 'csv' | 'jsonl';
  readonly gzip?: boolean;
  /** Share of flows that go to Microsoft 365 (default 0.55). */
  readonly m365Share?: number;
  /** Share of the other flows that go to a destination never seen before (default 0.2). */
  readonly uniqueShare?: number;
  readonly sites?: readonly SiteSpec[];
  /** Endpoint sets no flow goes to (to show required sets never seen). */
  readonly omitSets?: readonly number[];
}

interface Dest {
  readonly ip: string;
  readonly host: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  readonly optimize?: boolean;
}

function v4InPrefix(prng: Prng, cidr: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return null;
  const net = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const len = Number(m[5]);
  const hostBits = len === 0 ? 0xffffffff : len >= 32 ? 0 : (1 << (32 - len)) - 1;
  const a = (net | (prng.u32() & hostBits)) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function randomPublicV4(prng: Prng): string {
  // 100-199 in the first octet: public space, away from Microsoft's 13/20/40/52 blocks.
  return `${100 + prng.int(100)}.${prng.int(256)}.${prng.int(256)}.${1 + prng.int(254)}`;
}

function portOf(prng: Prng, ranges: EndpointSet['tcpPorts']): number {
  const has443 = ranges.some(([lo, hi]) => lo <= 443 && 443 <= hi);
  if (has443 && prng.chance(0.8)) return 443;
  const [lo, hi] = prng.pick(ranges);
  return lo + prng.int(hi - lo + 1);
}

/** Destinations of Microsoft 365 drawn from the sets: each host with an address of its own set. */
export function m365Destinations(sets: readonly EndpointSet[], prng: Prng): Dest[] {
  const out: Dest[] = [];
  for (const s of sets) {
    const v4 = s.ips.filter((p) => !p.includes(':'));
    for (const url of s.urls) {
      if (s.tcpPorts.length === 0) continue;
      const host = url.replace(/\*/g, () => prng.word(6));
      const ip = v4.length > 0 ? (v4InPrefix(prng, prng.pick(v4)) ?? randomPublicV4(prng)) : randomPublicV4(prng);
      out.push({ ip, host, port: portOf(prng, s.tcpPorts), proto: 'tcp', optimize: s.category === 'Optimize' });
    }
    // Media and other address-only traffic (Teams UDP 3478-3481).
    if (s.udpPorts.length > 0 && v4.length > 0) {
      for (let k = 0; k < 3; k++) out.push({ ip: v4InPrefix(prng, prng.pick(v4)) ?? '', host: '', port: portOf(prng, s.udpPorts), proto: 'udp', optimize: s.category === 'Optimize' });
    }
  }
  return out;
}

const OTHER_HOSTS = ['www.example.com', 'cdn.example.net', 'updates.example.org', 'video.example.tv', 'api.example.io', 'static.example.com', 'crm.example.biz', 'backup.example.net'];

function otherDestinations(prng: Prng): Dest[] {
  const out: Dest[] = OTHER_HOSTS.map((host) => ({ ip: randomPublicV4(prng), host, port: 443, proto: 'tcp' }));
  for (let i = 0; i < 12; i++) out.push({ ip: randomPublicV4(prng), host: '', port: prng.pick([53, 123, 8443, 22]), proto: prng.chance(0.5) ? 'udp' : 'tcp' });
  return out;
}

/** An index drawn with weight 1/(rank+1) (Zipf, s = 1), by inversion over precomputed sums. */
function zipf(n: number): (prng: Prng) => number {
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cum[i] = acc += 1 / (i + 1);
  return (prng) => {
    const x = prng.next() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Writes `lines` log lines (plus the CSV header) to `path`; returns the bytes written before compression. */
export async function writeFlowLog(path: string, sets: readonly EndpointSet[], options: LogGenOptions): Promise<{ lines: number; bytes: number }> {
  const prng = new Prng(options.seed ?? 0x10c5);
  const format = options.format ?? 'csv';
  const sites = options.sites ?? DEMO_SITES;
  const m365Share = options.m365Share ?? 0.55;
  const uniqueShare = options.uniqueShare ?? 0.2;
  const omit = new Set(options.omitSets ?? []);
  const m365 = prng.shuffle(m365Destinations(sets.filter((x) => !omit.has(x.id)), prng));
  const others = otherDestinations(prng);
  const pickM365 = zipf(m365.length);
  // Exchange, SharePoint and Teams carry most of the bytes of a real tenant: half the Microsoft 365
  // flows go to the few Optimize destinations.
  const optimize = m365.filter((d) => d.optimize === true);
  const pickOptimize = zipf(Math.max(1, optimize.length));
  const pickOther = zipf(others.length);
  const siteCum: number[] = [];
  let siteAcc = 0;
  for (const s of sites) siteCum.push((siteAcc += s.weight));

  const file = createWriteStream(path, { highWaterMark: 1 << 20 });
  const out: Writable = options.gzip ? createGzip({ level: 1 }) : file;
  if (options.gzip) out.pipe(file);
  let written = 0;
  let chunk = format === 'csv' ? `${LOG_HEADER}\n` : '';
  const base = Date.parse('2026-11-02T09:00:00Z');
  let unique = 0;
  for (let i = 0; i < options.lines; i++) {
    const x = prng.next() * siteAcc;
    let si = 0;
    while (siteCum[si]! < x) si++;
    const site = sites[si]!;
    let d: Dest;
    if (prng.chance(m365Share)) d = optimize.length > 0 && prng.chance(0.5) ? optimize[pickOptimize(prng)]! : m365[pickM365(prng)]!;
    else if (prng.chance(uniqueShare)) d = { ip: randomPublicV4(prng), host: `h${(unique++).toString(36)}.tail.example.net`, port: 443, proto: 'tcp' };
    else d = others[pickOther(prng)]!;
    const bytes = Math.floor(300 * Math.exp(prng.next() * 9));
    const time = new Date(base + i * 7).toISOString();
    const src = `10.${si}.${prng.int(256)}.${1 + prng.int(254)}`;
    chunk +=
      format === 'csv'
        ? `${time},${site.name},${src},${d.ip},${d.port},${d.proto},${d.host},${bytes},${site.path}\n`
        : `${JSON.stringify({ time, site: site.name, src_ip: src, dst_ip: d.ip, dst_port: d.port, proto: d.proto, ...(d.host ? { sni: d.host } : {}), bytes, via: site.path })}\n`;
    if (chunk.length > 1 << 20) {
      written += Buffer.byteLength(chunk);
      await put(out, chunk);
      chunk = '';
    }
  }
  written += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(file, 'close');
  return { lines: options.lines, bytes: written };
}
