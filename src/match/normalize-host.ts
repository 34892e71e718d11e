import { parseIPv4, parseIPv6 } from './parse-address.js';

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
 * TLS SNI / HTTP Host → the form patterns are matched against: lower case, one trailing dot removed.
 * Returns the host (the same string when it was already normal) or a HostError.
 * Labels: 1-63 characters of [a-z0-9_-]; the whole name at most 253.
 */
export function normalizeHost(raw: string): string | HostError {
  let n = raw.length;
  if (n > 0 && raw.charCodeAt(n - 1) === 46) n--;
  if (n === 0) return HOST_BAD;
  if (n > 253) return HOST_TOO_LONG;
  let upper = false;
  let labelLen = 0;
  let allDigitsOrDots = true;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return HOST_BAD;
      labelLen = 0;
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
    } else if (c === 45 || c === 95) {
      allDigitsOrDots = false;
    } else if (c === 58 || c === 91 || c === 93) {
      return classifyColon(raw.slice(0, n));
    } else {
      return HOST_BAD;
    }
  }
  if (labelLen === 0) return HOST_BAD;
  if (allDigitsOrDots) return parseIPv4(raw.slice(0, n)) >= 0 ? HOST_IS_IP : HOST_BAD;
  if (!upper) return n === raw.length ? raw : raw.slice(0, n);
  return raw.slice(0, n).toLowerCase();
}
