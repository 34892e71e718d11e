import { fmtBytes, fmtInt } from './format-units.js';
import { CATEGORY_KEYS, type CategoryKey, type Counts, type Summary } from './summary.js';
import { esc, type Segment } from './svg-charts.js';

/** Colours, names and small HTML pieces shared by the sections of report.html. */

export const CATEGORY_COLORS: Readonly<Record<CategoryKey, string>> = {
  Optimize: '#1a7f37',
  Allow: '#0969da',
  Default: '#bf8700',
  none: '#afb8c1',
};
export const CATEGORY_NAMES: Readonly<Record<CategoryKey, string>> = {
  Optimize: 'Optimize',
  Allow: 'Allow',
  Default: 'Default',
  none: 'Not Microsoft 365',
};
export const PROXY_COLOR = '#cf222e';
export const DIRECT_COLOR = '#1a7f37';
export const MAX_SITES = 30;
export const WIDTH = 980;

export type Metric = 'bytes' | 'flows';

export function counts(c: Counts, metric: Metric): number {
  return metric === 'bytes' ? c.bytes : c.flows;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

export function both(c: Counts): string {
  return `${fmtInt(c.flows)} flows, ${fmtBytes(c.bytes)}`;
}

export function metricText(c: Counts, metric: Metric): string {
  return metric === 'bytes' ? fmtBytes(c.bytes) : `${fmtInt(c.flows)} flows`;
}

export function catSegments(by: Partial<Record<CategoryKey, Counts>>, metric: Metric): Segment[] {
  return CATEGORY_KEYS.flatMap((k) => {
    const c = by[k];
    return c ? [{ label: CATEGORY_NAMES[k], value: counts(c, metric), color: CATEGORY_COLORS[k], text: both(c) }] : [];
  });
}

export function legend(keys: readonly CategoryKey[] = CATEGORY_KEYS): string {
  return `<p class="legend">${keys.map((k) => `<span><i style="background:${CATEGORY_COLORS[k]}"></i>${CATEGORY_NAMES[k]}</span>`).join('')}</p>`;
}

export function badge(category: CategoryKey): string {
  return `<span class="badge" style="background:${CATEGORY_COLORS[category]}">${esc(CATEGORY_NAMES[category])}</span>`;
}

export function total(s: Summary): Counts {
  return CATEGORY_KEYS.reduce((a, k) => ({ flows: a.flows + s.byCategory[k].flows, bytes: a.bytes + s.byCategory[k].bytes }), { flows: 0, bytes: 0 });
}

export function tile(label: string, value: string, note: string, id: string): string {
  return `<div class="tile" id="${id}"><div class="tile-label">${esc(label)}</div><div class="tile-value">${esc(value)}</div><div class="tile-note">${esc(note)}</div></div>`;
}

export function table(head: readonly string[], rows: readonly string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

