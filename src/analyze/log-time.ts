/**
 * Times as flow logs write them, to Unix seconds: epoch seconds or milliseconds (AWS, Azure,
 * Zeek), and `YYYY-MM-DD HH:MM:SS[.fff]` or `YYYY/MM/DD HH:MM:SS` (nfdump, PAN-OS). Only the
 * connection joiner reads them, and only differences matter, so a log's time zone is irrelevant.
 */
export function parseLogTime(v: string | undefined): number {
  if (v === undefined || v.length === 0) return NaN;
  const c = v.charCodeAt(4);
  if (v.length >= 19 && (c === 45 || c === 47)) {
    const t = Date.UTC(+v.slice(0, 4), +v.slice(5, 7) - 1, +v.slice(8, 10), +v.slice(11, 13), +v.slice(14, 16), +v.slice(17, 19));
    const frac = v.length > 20 && v.charCodeAt(19) === 46 ? Number(`0${v.slice(19)}`) : 0;
    return t / 1000 + frac;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) return NaN;
  // Milliseconds since 1970 pass 1e11 in 1973; seconds will not until the year 5138.
  return n > 1e11 ? n / 1000 : n;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Digits of s[from, from + n), or -1. */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * parseLogTime of s[from, to) without slicing it out, for the spellings that need no Number():
 * plain epoch digits, and the date forms with up to 15 digits of fraction (the same value:
 * an integer over a power of ten is the nearest double, as Number('0.fff') is). NaN when the
 * text needs the general reader: the caller then slices and calls parseLogTime.
 */
export function parseLogTimeAt(s: string, from: number, to: number): number {
  const len = to - from;
  if (len === 0 || len > 34) return NaN;
  const c = s.charCodeAt(from + 4);
  if (len >= 19 && (c === 45 || c === 47)) {
    const y = digits(s, from, 4);
    const mo = digits(s, from + 5, 2);
    const d = digits(s, from + 8, 2);
    const h = digits(s, from + 11, 2);
    const mi = digits(s, from + 14, 2);
    const se = digits(s, from + 17, 2);
    if ((y | mo | d | h | mi | se) < 0 || s.charCodeAt(from + 7) !== c) return NaN;
    const t = Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
    if (len === 19) return t;
    const fl = len - 20;
    if (s.charCodeAt(from + 19) !== 46 || fl < 1 || fl > 15) return NaN;
    const f = digits(s, from + 20, fl);
    return f < 0 ? NaN : t + f / POW10[fl]!;
  }
  if (len > 15) return NaN;
  const n = digits(s, from, len);
  if (n < 0) return NaN;
  return n > 1e11 ? n / 1000 : n;
}
