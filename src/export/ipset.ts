import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION } from './filters.js';
import { toCidrs } from '../core/prefixes.js';
import { CATEGORY_ORDER, categorySlug, verdictSets } from './verdict-sets.js';

/**
 * An `ipset restore` file: one `hash:net` set per category and family holding the addresses the
 * classifier puts in that category (verdict-sets.ts: longest prefix, then the better category; the
 * sets of a family are disjoint). `create ... -exist` then `flush`, so that restoring again on a
 * host that has the sets replaces their members instead of failing.
 */

type FamilyName = 'ipv4' | 'ipv6';

export interface IpsetOptions {
  readonly category: readonly CategoryName[];
  readonly family: readonly FamilyName[];
  readonly prefix: string;
}

/** The set name of one category and family, shared with the dnsmasq exporter (ipset names are global: a prefix). */
export function ipsetName(prefix: string, category: CategoryName, family: FamilyName): string {
  return `${prefix}_${categorySlug(category)}_${family === 'ipv4' ? 'v4' : 'v6'}`;
}

export function renderIpset(view: SnapshotView, options: IpsetOptions): string {
  const verdict = verdictSets(view);
  const lines = [
    `# Microsoft 365 endpoint data version ${view.version} (${view.instance}) as ipsets, by m365-flow-classifier.`,
    '# Load: ipset restore < FILE. An address is in the set of the category the classifier answers',
    '# for it (longest prefix, then Optimize > Allow > Default); the sets of one family are disjoint.',
  ];
  for (const c of CATEGORY_ORDER.filter((x) => options.category.includes(x))) {
    for (const fam of (['ipv4', 'ipv6'] as const).filter((f) => options.family.includes(f))) {
      const name = ipsetName(options.prefix, c, fam);
      const cidrs = toCidrs(verdict[c][fam === 'ipv4' ? 4 : 6], fam === 'ipv4' ? 4 : 6);
      const maxelem = Math.max(65536, 2 ** Math.ceil(Math.log2(cidrs.length + 1)));
      lines.push(`create ${name} hash:net family ${fam === 'ipv4' ? 'inet' : 'inet6'} hashsize 1024 maxelem ${maxelem} -exist`, `flush ${name}`);
      for (const cidr of cidrs) lines.push(`add ${name} ${cidr}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const ipsetExporter = defineExporter<IpsetOptions>({
  name: 'ipset',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'ipset',
  version: '1',
  description: 'An ipset restore file: hash:net sets per category and family.',
  optionsSchema: {
    type: 'object',
    properties: {
      category: CATEGORY_OPTION,
      family: { type: 'array', items: { type: 'string', enum: ['ipv4', 'ipv6'] }, minItems: 1, uniqueItems: true, default: ['ipv4', 'ipv6'] },
      prefix: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,19}$', default: 'm365', description: 'Set names are PREFIX_CATEGORY_v4 / _v6.' },
    },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize', family: 'ipv4', prefix: 'o365' }],
  render: renderIpset,
});
