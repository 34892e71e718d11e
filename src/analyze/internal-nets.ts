import { M365Error } from '../core/errors.js';
import { parseIPv4, parseIPv6 } from '../core/addresses.js';

/**
 * The networks that are "ours" (`--internal`): of a record's two endpoints, the one outside them
 * is the Microsoft side. A short list scanned linearly: a handful of prefixes per address costs
 * less than building a trie for it.
 */

export const DEFAULT_INTERNAL = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '::1/128', 'fe80::/10', 'fc00::/7'];

export const EXTERNAL = 0;
export const INTERNAL = 1;
export const INVALID = -1;

export class InternalNets {
  readonly cidrs: readonly string[];
  /** [network, mask] pairs, uint32 */
  private readonly v4: number[] = [];
  /** [4 network words, 4 mask words] per prefix */
  private readonly v6: number[] = [];
  private readonly w = new Uint32Array(4);
  /** First octets that some IPv4 prefix covers: most addresses are told external by their first octet alone. */
  private readonly firstOctet = new Uint8Array(256);

  constructor(cidrs: readonly string[] = DEFAULT_INTERNAL) {
    this.cidrs = cidrs;
    for (const c of cidrs) {
      const slash = c.indexOf('/');
      const addr = slash < 0 ? c : c.slice(0, slash);
      const len = slash < 0 ? -1 : Number(c.slice(slash + 1));
      const v4 = parseIPv4(addr);
      if (v4 >= 0) {
        const bits = len < 0 ? 32 : len;
        if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw bad(c);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        this.v4.push((v4 & mask) >>> 0, mask);
        for (let o = (v4 & mask) >>> 24; o <= ((v4 | ~mask) >>> 0) >>> 24; o++) this.firstOctet[o] = 1;
        continue;
      }
      const w = new Uint32Array(4);
      const bits = len < 0 ? 128 : len;
      if (!parseIPv6(addr, w) || !Number.isInteger(bits) || bits < 0 || bits > 128) throw bad(c);
      const masks = [0, 1, 2, 3].map((i) => {
        const b = Math.max(0, Math.min(32, bits - 32 * i));
        return b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
      });
      this.v6.push(...masks.map((mk, i) => (w[i]! & mk) >>> 0), ...masks);
    }
  }

  /** True when `ip`, an address the engine accepted, is internal. */
  isInternal(ip: string): boolean {
    // IPv4 whose first octet no prefix covers: external without parsing (nor slicing the octet out).
    let o = 0;
    let i = 0;
    for (; i < 4; i++) {
      const c = ip.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      o = o * 10 + c;
    }
    if (i > 0 && i < 4 && ip.charCodeAt(i) === 46 && o < 256 && this.firstOctet[o] === 0) return false;
    return this.kind(ip) === INTERNAL;
  }

  /** INTERNAL or EXTERNAL for an IPv4 address as uint32 (a reader parsed it in place). */
  kindV4(v4: number): number {
    if (this.firstOctet[v4 >>> 24] === 0) return EXTERNAL;
    const t = this.v4;
    for (let i = 0; i < t.length; i += 2) if (((v4 & t[i + 1]!) >>> 0) === t[i]) return INTERNAL;
    return EXTERNAL;
  }

  /** INTERNAL, EXTERNAL, or INVALID when `ip` is not an address. */
  kind(ip: string): number {
    // The first octet of dotted IPv4 text, without parsing the rest: ~5% of analyze's time on a
    // CSV log was this check before (bench/analyze/throughput.bench.ts profile).
    let o = 0;
    let i = 0;
    for (; i < 4; i++) {
      const c = ip.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      o = o * 10 + c;
    }
    if (i > 0 && i < 4 && ip.charCodeAt(i) === 46 && o < 256 && this.firstOctet[o] === 0) return parseIPv4(ip) >= 0 ? EXTERNAL : INVALID;
    const v4 = parseIPv4(ip);
    if (v4 >= 0) return this.kindV4(v4);
    const w = this.w;
    if (!parseIPv6(ip, w)) return INVALID;
    // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address.
    if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return this.kind(`${w[3]! >>> 24}.${(w[3]! >>> 16) & 255}.${(w[3]! >>> 8) & 255}.${w[3]! & 255}`);
    const t = this.v6;
    for (let i = 0; i < t.length; i += 8) {
      if (((w[0]! & t[i + 4]!) >>> 0) === t[i] && ((w[1]! & t[i + 5]!) >>> 0) === t[i + 1] && ((w[2]! & t[i + 6]!) >>> 0) === t[i + 2] && ((w[3]! & t[i + 7]!) >>> 0) === t[i + 3]) {
        return INTERNAL;
      }
    }
    return EXTERNAL;
  }
}

function bad(c: string): M365Error {
  return new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `--internal "${c}": expected an IPv4 or IPv6 prefix such as 10.0.0.0/8`, { field: 'internal', value: c });
}
