/**
 * Address text ↔ binary for the benchmarks' own baselines and generators.
 * The parsers are written apart from src/core/addresses.ts ON PURPOSE: the linear-scan baseline
 * (linear-scan.ts) checks the engine's answers, so it must not share the engine's parser (and
 * its bugs). Formatting only makes inputs, which the engine and the baseline both parse, so it
 * is the core's.
 * IPv4: a uint32 in a number. IPv6: four uint32 words, most significant first, or one bigint.
 */
import { bigintToWords, formatIPv6 } from '../../src/core/addresses.js';

export { formatIPv4 } from '../../src/core/addresses.js';

export function parseIPv4Text(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return -1;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return -1;
    const octet = Number(part);
    if (octet > 255) return -1;
    v = v * 256 + octet;
  }
  return v;
}

/** IPv6 text (`::`, embedded dotted IPv4 allowed) → four words, or null. */
export function parseIPv6Words(s: string): Uint32Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let text = s;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseIPv4Text(dotted[2] ?? '');
    if (v4 < 0) return null;
    text = `${dotted[1] ?? ''}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (h: string | undefined): string[] => (h === undefined || h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const w = new Uint32Array(4);
  for (let g = 0; g < 8; g++) {
    const group = all[g] ?? '';
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const k = g >> 1;
    w[k] = ((w[k] ?? 0) | (parseInt(group, 16) << (g & 1 ? 0 : 16))) >>> 0;
  }
  return w;
}

export function parseIPv6Big(s: string): bigint | null {
  const w = parseIPv6Words(s);
  return w === null ? null : wordsToBig(w);
}

export function wordsToBig(w: ArrayLike<number>): bigint {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt((w[k] ?? 0) >>> 0);
  return v;
}

export function formatIPv6Big(v: bigint): string {
  return formatIPv6(bigintToWords(v));
}

export type Cidr =
  | { readonly family: 4; readonly net: number; readonly len: number; readonly text: string }
  | { readonly family: 6; readonly net: bigint; readonly len: number; readonly text: string };

/** `a.b.c.d/n` or `x::/n` → network and length. Throws on bad text (bench setup only). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = text.slice(0, slash);
  const len = Number(text.slice(slash + 1));
  if (slash < 0 || !Number.isInteger(len)) throw new Error(`bad prefix ${text}`);
  if (addr.includes(':')) {
    const net = parseIPv6Big(addr);
    if (net === null || len < 0 || len > 128) throw new Error(`bad IPv6 prefix ${text}`);
    return { family: 6, net, len, text };
  }
  const net = parseIPv4Text(addr);
  if (net < 0 || len < 0 || len > 32) throw new Error(`bad IPv4 prefix ${text}`);
  return { family: 4, net, len, text };
}

/** The uint32 netmask of an IPv4 prefix length (0..32). */
export function maskV4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function maskV6(len: number): bigint {
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(128 - len);
}
