import { FNV_OFFSET, FNV_PRIME } from '../core/host-hash.js';
import { parseIPv4, parseIPv6 } from '../core/addresses.js';

/** Why a host was refused; 0 never appears. */
export const HOST_BAD = 1;
export const HOST_HAS_PORT = 2;
export const HOST_IS_IP = 3;
export const HOST_TOO_LONG = 4;
export type HostError = typeof HOST_BAD | typeof HOST_HAS_PORT | typeof HOST_IS_IP | typeof HOST_TOO_LONG;

const scratch = new Uint32Array(4);

function classifyColon(host: string): HostError {
  if (parseIPv6(host, scratch)) return HOST_IS_IP;
  const colon = host.lastIndexOf(':');
  const name = host.slice(0, colon);
  const port = host.slice(colon + 1);
  if (/^[0-9]{1,5}$/.test(port)) {
    if (name.startsWith('[') && name.endsWith(']')) return HOST_IS_IP;
    if (!name.includes(':') && name.length > 0) return HOST_HAS_PORT;
  }
  return HOST_BAD;
}

/**
 * What the last successful normalizeHost saw, so that the host matcher need not walk the host
 * again: the host's dots from the last to the first (`at`) and, for each, FNV-1a of the host
 * from that dot to its end read backwards (`hash`), the key of the suffix table. Filled in the
 * same pass as validation (bench/match, 2020-05: host lookups 4.6 → 5.0 M/s, flows 2.6 → 2.8 M/s).
 * Its twin is reverseHash in src/core/host-hash.ts, which compile keys the table with; a test
 * (test/unit/core/host-hash.test.ts) checks they agree.
 * Module scratch is safe because the lookup path is synchronous.
 */
export const HOST_DOTS = { count: 0, at: new Int32Array(127), hash: new Int32Array(127) };

// Character classes of the fast path, by code unit below 128: 0 anything it leaves to the full
// walk (':', '[', ']', bad characters), DIGIT, DOT, NAME ([a-z_-]: bit 4, not a digit), UPPER
// ([A-Z]: NAME and bit 32, which is also what lower-cases it: c + (class & 32)).
const DIGIT = 1;
const DOT = 2;
const NAME = 4;
const UPPER = NAME | 32;
const CLASS = new Uint8Array(128);
for (let c = 97; c <= 122; c++) CLASS[c] = NAME;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[45] = NAME;
CLASS[95] = NAME;
CLASS[46] = DOT;

/**
 * TLS SNI / HTTP Host → the form patterns are matched against: lower case, one trailing dot removed.
 * Returns the host (the same string when it was already normal) or a HostError.
 * Labels: 1-63 characters of [a-z0-9_-]; the whole name at most 253.
 *
 * Fast path for what SNI and Host headers nearly always are, valid ASCII names: one table read
 * and one branch a character, label lengths checked at the dots; anything else (a port, an IP
 * literal, a bad or empty label, a long name) goes to the full walk, which alone decides errors
 * (normalizeHost on this workload's hosts 1.33x; classify({ host }) 66 → 68-70 % of the Map.get probe
 * of bench/match/hosts, both measured in one process against the full walk alone). Upper case is
 * lowered in the same pass: with every host capitalized, 392 → 272 ns a lookup against bailing
 * out to the full walk (base 302); on the lower-case workload the two were within noise (79-88 %).
 */
export function normalizeHost(raw: string): string | HostError {
  let n = raw.length;
  if (n > 0 && raw.charCodeAt(n - 1) === 46) n--;
  if (n === 0 || n > 253) return normalizeFull(raw);
  let h = FNV_OFFSET;
  let seen = 0;
  let dots = 0;
  // the dot (or n) that ends the label being read
  let end = n;
  const { at, hash } = HOST_DOTS;
  for (let i = n - 1; i >= 0; i--) {
    const c = raw.charCodeAt(i);
    const k = c < 128 ? CLASS[c]! : 0;
    if (k === DOT) {
      const len = end - i - 1;
      if (len === 0 || len > 63) return normalizeFull(raw);
      end = i;
      h = Math.imul(h ^ 46, FNV_PRIME);
      at[dots] = i;
      hash[dots++] = h;
      continue;
    }
    if (k === 0) return normalizeFull(raw);
    seen |= k;
    h = Math.imul(h ^ (c + (k & 32)), FNV_PRIME);
  }
  // all digits and dots: an IPv4 address or nothing, which the full walk tells apart
  if (end === 0 || end > 63 || (seen & NAME) === 0) return normalizeFull(raw);
  HOST_DOTS.count = dots;
  if ((seen & 32) !== 0) return raw.slice(0, n).toLowerCase();
  return n === raw.length ? raw : raw.slice(0, n);
}

/**
 * The full walk: every host the fast path does not accept (errors and their codes, IP literals).
 * Exported for the test that checks both paths agree on every host it generates.
 */
export function normalizeFull(raw: string): string | HostError {
  let n = raw.length;
  if (n > 0 && raw.charCodeAt(n - 1) === 46) n--;
  if (n === 0) return HOST_BAD;
  if (n > 253) return HOST_TOO_LONG;
  let upper = false;
  let labelLen = 0;
  let allDigitsOrDots = true;
  let h = FNV_OFFSET;
  let dots = 0;
  const { at, hash } = HOST_DOTS;
  // backwards, as the suffix walk reads: the hash covers the lower-cased host from i to its end
  for (let i = n - 1; i >= 0; i--) {
    let c = raw.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return HOST_BAD;
      labelLen = 0;
      h = Math.imul(h ^ 46, FNV_PRIME);
      at[dots] = i;
      hash[dots++] = h;
      continue;
    }
    if (++labelLen > 63) return HOST_BAD;
    if (c >= 97 && c <= 122) {
      allDigitsOrDots = false;
    } else if (c >= 48 && c <= 57) {
      // digits keep allDigitsOrDots
    } else if (c >= 65 && c <= 90) {
      upper = true;
      allDigitsOrDots = false;
      c += 32;
    } else if (c === 45 || c === 95) {
      allDigitsOrDots = false;
    } else if (c === 58 || c === 91 || c === 93) {
      return classifyColon(raw.slice(0, n));
    } else {
      return HOST_BAD;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  if (labelLen === 0) return HOST_BAD;
  if (allDigitsOrDots) return parseIPv4(raw.slice(0, n)) >= 0 ? HOST_IS_IP : HOST_BAD;
  HOST_DOTS.count = dots;
  if (!upper) return n === raw.length ? raw : raw.slice(0, n);
  return raw.slice(0, n).toLowerCase();
}
