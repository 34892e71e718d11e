import { M365Error, isM365Error, type ErrorCode } from '../core/errors.js';

/**
 * How the web-service client names what went wrong: every fault is an M365Error with an
 * M365FC_ERR_UPSTREAM_* code (or UPDATE_STOPPED when the check was aborted); `details` says which
 * URL and, for 429, how long to wait.
 */

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function fail(code: ErrorCode, message: string, details: Record<string, unknown>): M365Error {
  return new M365Error(code, message, details);
}

export function redact(url: URL): string {
  const u = new URL(url);
  u.searchParams.delete('clientrequestid');
  return u.toString();
}

/**
 * Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); null when absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * True when JSON text stops inside a string or an open array/object. Used only after JSON.parse
 * failed, to tell a cut-off body from a malformed one without relying on V8's error messages.
 */
export function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  let sawValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
    if (c > 0x20) sawValue = true;
  }
  return inString || depth > 0 || !sawValue;
}

export function networkError(err: unknown, phase: 'request' | 'body', url: string, signal: AbortSignal | undefined): M365Error {
  if (isM365Error(err)) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const cause = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'unknown';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details = { url, phase, cause };
  if (signal?.aborted === true) return fail('M365FC_ERR_UPDATE_STOPPED', `Request to ${url} aborted: ${message}`, details);
  if (TIMEOUT_CODES.has(cause) || cause === 'TimeoutError') {
    return fail('M365FC_ERR_UPSTREAM_TIMEOUT', `No answer in time from ${url} (${cause})`, details);
  }
  if (UNREACHABLE_CODES.has(cause)) return fail('M365FC_ERR_UPSTREAM_UNREACHABLE', `Cannot reach ${url} (${cause})`, details);
  // A connection lost after the headers arrived means the body is incomplete.
  if (phase === 'body') return fail('M365FC_ERR_UPSTREAM_TRUNCATED', `The body from ${url} ended early (${cause}: ${message})`, details);
  return fail('M365FC_ERR_UPSTREAM_RESET', `The connection to ${url} failed (${cause}: ${message})`, details);
}

