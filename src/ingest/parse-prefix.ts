import { IPv4, IPv6 } from 'ip-num';
import { M365Error } from '../core/errors.js';
import { bigintToWords, formatIPv4, formatIPv6 } from '../core/addresses.js';

export interface ParsedPrefix {
  readonly family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 IPv6. */
  readonly text: string;
  readonly length: number;
  /** The network address as an unsigned integer (32 or 128 bits). */
  readonly network: bigint;
}

function fail(code: 'M365FC_ERR_INGEST_BAD_PREFIX' | 'M365FC_ERR_INGEST_BAD_PREFIX_LENGTH' | 'M365FC_ERR_INGEST_HOST_BITS', setId: number, value: string, why: string): never {
  throw new M365Error(code, `Endpoint set ${setId}: ips entry "${value}" ${why}`, { setId, field: 'ips', value });
}

/**
 * Validates a prefix from Microsoft's `ips` field (IPv4 or IPv6, written out in full or compressed)
 * and returns its canonical form. Refuses a missing or out-of-range length and host bits set.
 */
export function parsePrefix(value: string, setId: number): ParsedPrefix {
  const raw = value.trim();
  const slash = raw.indexOf('/');
  if (slash < 0) fail('M365FC_ERR_INGEST_BAD_PREFIX', setId, value, 'has no /length');
  const addr = raw.slice(0, slash);
  const lenText = raw.slice(slash + 1);
  const family = addr.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText)) fail('M365FC_ERR_INGEST_BAD_PREFIX_LENGTH', setId, value, 'has a length that is not a number');
  const length = Number(lenText);
  if (length > bits) fail('M365FC_ERR_INGEST_BAD_PREFIX_LENGTH', setId, value, `has length ${length}, more than ${bits}`);
  if (!/^[0-9A-Fa-f:.]+$/.test(addr)) fail('M365FC_ERR_INGEST_BAD_PREFIX', setId, value, `is not an IPv${family} prefix`);
  let network: bigint;
  try {
    network = family === 4 ? IPv4.fromString(addr).getValue() : IPv6.fromString(addr).getValue();
  } catch {
    fail('M365FC_ERR_INGEST_BAD_PREFIX', setId, value, `is not an IPv${family} prefix`);
  }
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  if ((network & hostMask) !== 0n) fail('M365FC_ERR_INGEST_HOST_BITS', setId, value, `has host bits set beyond /${length}`);
  const text = family === 4 ? formatIPv4(Number(network)) : formatIPv6(bigintToWords(network));
  return { family, text: `${text}/${length}`, length, network };
}
