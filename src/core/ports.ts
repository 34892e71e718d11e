import { M365Error } from './errors.js';
import type { PortRange } from './types.js';

/**
 * Microsoft's port strings: "80,443", "443,80", "143, 587, 993, 995", "3478-3481".
 * Returns sorted, merged inclusive ranges. An empty string means no ports.
 */
export function parsePorts(text: string, setId: number, field: string): PortRange[] {
  const ranges: Array<[number, number]> = [];
  if (text.trim() === '') return ranges;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(item);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(lo >= 1 && hi <= 65535 && lo <= hi)) {
      throw new M365Error('M365FC_ERR_INGEST_BAD_PORT', `Endpoint set ${setId}: ${field} entry "${item}" is not a port or range in 1-65535`, {
        setId,
        field,
        value: item,
      });
    }
    ranges.push([lo, hi]);
  }
  return mergeRanges(ranges);
}

export function mergeRanges(ranges: Array<[number, number]>): PortRange[] {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** The inverse of parsePorts, in Microsoft's own style: "80,443", "3478-3481". */
export function formatPorts(ranges: readonly PortRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

export function portInRanges(port: number, ranges: readonly PortRange[]): boolean {
  for (const [lo, hi] of ranges) if (port >= lo && port <= hi) return true;
  return false;
}
