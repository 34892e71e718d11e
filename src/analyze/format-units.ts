/** Numbers as people read them in the report: 1,234,567 flows, 12.3 GB, 45.6%. Decimal units, as flow tools use. */

export function fmtInt(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function fmtBytes(v: number): string {
  let x = v;
  let u = 0;
  while (x >= 1000 && u < UNITS.length - 1) {
    x /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(x)} B` : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ${UNITS[u]}`;
}

export function fmtPct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
