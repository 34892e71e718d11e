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
