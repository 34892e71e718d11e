import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION, SERVICE_AREA_OPTION, filterSets } from './filters.js';
import { prefixInterval } from '../core/prefixes.js';

/**
 * Plain text lists for firewalls' external dynamic lists: one entry a line, no comments,
 * IPv4 prefixes, then IPv6 prefixes (each in address order), then hosts and patterns (sorted),
 * each entry once. Prefixes are listed as Microsoft publishes them (canonical), not merged.
 */

export type ListFamily = 'ipv4' | 'ipv6' | 'url';

export interface ListOptions {
  readonly category: readonly CategoryName[];
  readonly serviceArea?: readonly string[];
  readonly family: readonly ListFamily[];
}

function byAddress(a: string, b: string): number {
  const x = prefixInterval(a);
  const y = prefixInterval(b);
  return x.lo < y.lo ? -1 : x.lo > y.lo ? 1 : x.length - y.length;
}

export function listEntries(view: SnapshotView, options: ListOptions): { ipv4: string[]; ipv6: string[]; url: string[] } {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  const urls = new Set<string>();
  for (const set of filterSets(view.sets, options)) {
    for (const ip of set.ips) (ip.includes(':') ? v6 : v4).add(ip);
    for (const u of set.urls) urls.add(u);
  }
  return { ipv4: [...v4].sort(byAddress), ipv6: [...v6].sort(byAddress), url: [...urls].sort() };
}

export function renderList(view: SnapshotView, options: ListOptions): string {
  const entries = listEntries(view, options);
  const lines = (['ipv4', 'ipv6', 'url'] as const).filter((f) => options.family.includes(f)).flatMap((f) => entries[f]);
  return lines.map((l) => `${l}\n`).join('');
}

export const listExporter = defineExporter<ListOptions>({
  name: 'list',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'txt',
  version: '1',
  description: 'One entry a line (IPv4, IPv6 prefixes, hosts and patterns), filtered by category, service area and family.',
  optionsSchema: {
    type: 'object',
    properties: {
      category: CATEGORY_OPTION,
      serviceArea: SERVICE_AREA_OPTION,
      family: { type: 'array', items: { type: 'string', enum: ['ipv4', 'ipv6', 'url'] }, minItems: 1, uniqueItems: true, default: ['ipv4', 'ipv6', 'url'] },
    },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize', family: 'ipv4' }, { serviceArea: 'Exchange,Skype', family: 'url' }],
  render: renderList,
});
