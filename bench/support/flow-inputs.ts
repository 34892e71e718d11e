/**
 * Pre-generated lookup inputs for one set of endpoint sets: a seeded mix of hits (addresses
 * inside published prefixes, published hosts, instances of every wildcard) and misses (random
 * addresses and hosts, near misses such as the bare suffix of `*.x.com`).
 */
import type { EndpointSet, Flow } from '../../src/core/types.js';
import { Prng } from './prng.js';
import { bigintToWords } from '../../src/core/addresses.js';
import { formatIPv4, formatIPv6Big, maskV4, maskV6, parseCidr } from './ip.js';

export interface LookupInputs {
  readonly ipv4Texts: readonly string[];
  readonly ipv4Binary: Uint32Array;
  readonly ipv6Texts: readonly string[];
  /** One 4-word view per address, so a lookup allocates nothing. */
  readonly ipv6Binary: readonly Uint32Array[];
  readonly hosts: readonly string[];
  /** host + ip + port, protocol mostly tcp, sometimes udp or absent. */
  readonly flows: readonly Flow[];
  /** Single-field flows for classify(): { ip } or { host }. */
  readonly ipv4Flows: readonly Flow[];
  readonly ipv6Flows: readonly Flow[];
  readonly hostFlows: readonly Flow[];
}

const VALID_HOST = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const PORTS = [443, 443, 443, 443, 443, 80, 80, 25, 587, 993, 3478, 3480, 8080, 50010];

function randomV6(prng: Prng): bigint {
  // Global unicast 2000::/3, where Microsoft's prefixes live: misses that still look real.
  let v = BigInt((prng.u32() & 0x1fffffff) | 0x20000000);
  for (let k = 0; k < 3; k++) v = (v << 32n) | BigInt(prng.u32());
  return v;
}

function randomBig(prng: Prng, bits: number): bigint {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(prng.u32());
  return v & ((1n << BigInt(bits)) - 1n);
}

function instantiate(prng: Prng, pattern: string): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const host = pattern.replace(/\*/g, () => {
      const r = prng.int(5);
      if (r === 0 && attempt < 10) return '';
      if (r === 1) return `${prng.word(3)}.${prng.word(4)}`;
      return prng.word(2 + prng.int(8));
    });
    if (VALID_HOST.test(host)) return host;
  }
  return pattern.replace(/\*/g, () => prng.word(6));
}

function nearMiss(prng: Prng, patterns: readonly string[]): string {
  const p = prng.pick(patterns);
  const r = prng.int(3);
  if (r === 0 && p.startsWith('*.')) return p.slice(2).replace(/\*/g, 'x');
  if (r === 1) return `${prng.word(4)}.${p.replace(/\*/g, 'y')}`.replace(/\.[a-z]+$/, '.example');
  return `${prng.word(5)}.${prng.word(7)}.${prng.pick(['com', 'net', 'org', 'io'])}`;
}

/** `count` inputs of each kind; the same sets and seed give the same inputs. */
export function makeLookupInputs(sets: readonly EndpointSet[], count = 4096, seed = 0xbe7c4): LookupInputs {
  const prng = new Prng(seed);
  const v4: Array<{ net: number; len: number }> = [];
  const v6: Array<{ net: bigint; len: number }> = [];
  for (const s of sets) {
    for (const ip of s.ips) {
      const c = parseCidr(ip);
      if (c.family === 4) v4.push({ net: c.net, len: c.len });
      else v6.push({ net: c.net, len: c.len });
    }
  }
  const patterns = [...new Set(sets.flatMap((s) => s.urls))];
  const exact = patterns.filter((p) => !p.includes('*'));
  const wild = patterns.filter((p) => p.includes('*'));

  const ipv4Binary = new Uint32Array(count);
  const ipv4Texts: string[] = [];
  for (let i = 0; i < count; i++) {
    let a = prng.u32();
    if (v4.length > 0 && prng.chance(0.7)) {
      const p = prng.pick(v4);
      a = (p.net | (prng.u32() & ~maskV4(p.len))) >>> 0;
    }
    ipv4Binary[i] = a;
    ipv4Texts.push(formatIPv4(a));
  }

  const ipv6Binary: Uint32Array[] = [];
  const ipv6Texts: string[] = [];
  const ipv6Words = new Uint32Array(4 * count);
  for (let i = 0; i < count; i++) {
    let a = randomV6(prng);
    if (v6.length > 0 && prng.chance(0.7)) {
      const p = prng.pick(v6);
      a = p.net | (randomBig(prng, 128) & ~maskV6(p.len) & ((1n << 128n) - 1n));
    }
    const view = ipv6Words.subarray(4 * i, 4 * i + 4);
    view.set(bigintToWords(a));
    ipv6Binary.push(view);
    ipv6Texts.push(formatIPv6Big(a));
  }

  const hosts: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = prng.next();
    if (r < 0.4 && exact.length > 0) hosts.push(prng.pick(exact));
    else if (r < 0.75 && wild.length > 0) hosts.push(instantiate(prng, prng.pick(wild)));
    else hosts.push(nearMiss(prng, patterns.length > 0 ? patterns : ['*.example.com']));
  }

  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const r = prng.next();
    const protocol = r < 0.75 ? 'tcp' : r < 0.9 ? 'udp' : undefined;
    const ip = prng.chance(0.7) ? prng.pick(ipv4Texts) : prng.pick(ipv6Texts);
    const flow: Flow = { host: prng.pick(hosts), ip, port: prng.pick(PORTS) };
    if (protocol !== undefined) flow.protocol = protocol;
    flows.push(flow);
  }

  // Through JSON, as flows arrive on the wire: strings built by concatenation are cons strings,
  // which made parseIPv6 about 1.5x slower than on the flat strings JSON.parse gives.
  const wire = JSON.parse(JSON.stringify({ ipv4Texts, ipv6Texts, hosts, flows })) as {
    ipv4Texts: string[];
    ipv6Texts: string[];
    hosts: string[];
    flows: Flow[];
  };
  return {
    ipv4Texts: wire.ipv4Texts,
    ipv4Binary,
    ipv6Texts: wire.ipv6Texts,
    ipv6Binary,
    hosts: wire.hosts,
    flows: wire.flows,
    ipv4Flows: wire.ipv4Texts.map((ip) => ({ ip })),
    ipv6Flows: wire.ipv6Texts.map((ip) => ({ ip })),
    hostFlows: wire.hosts.map((host) => ({ host })),
  };
}
