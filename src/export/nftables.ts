import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION } from './filters.js';
import { toCidrs, type Family } from '../core/prefixes.js';
import { CATEGORY_ORDER, categorySlug, portSegments, verdictSets } from './verdict-sets.js';

/**
 * A complete nftables file (`nft -f`): a table of its own with, per category and family, an
 * interval set of the addresses the classifier puts in that category (verdict-sets.ts), and a
 * port-aware set `ipv4_addr . inet_proto . inet_service` (intervals) holding the verdict for flows
 * with a protocol and port, so a rule matches Microsoft's address, protocol and port lists as the
 * classifier does. The address sets carry `auto-merge`, so addresses an admin (or dnsmasq's
 * `nftset=`) adds on top may overlap ours. Loading replaces the table: `table` then `delete table`
 * first, the usual idiom, so that the file loads the same on a fresh host and on a loaded one.
 */

type FamilyName = 'ipv4' | 'ipv6';

export interface NftablesOptions {
  readonly category: readonly CategoryName[];
  readonly family: readonly FamilyName[];
  readonly table: string;
  readonly ports: boolean;
}

const FAMILY: Readonly<Record<FamilyName, { f: Family; suffix: string; type: string; match: string }>> = {
  ipv4: { f: 4, suffix: 'v4', type: 'ipv4_addr', match: 'ip daddr' },
  ipv6: { f: 6, suffix: 'v6', type: 'ipv6_addr', match: 'ip6 daddr' },
};

/** The set names of one category and family, shared with the dnsmasq exporter. */
export function nftSetName(category: CategoryName, family: FamilyName, ports = false): string {
  return `${categorySlug(category)}_${FAMILY[family].suffix}${ports ? '_ports' : ''}`;
}

function setBlock(name: string, type: string, flags: string[], elements: readonly string[]): string[] {
  const lines = [`\tset ${name} {`, `\t\ttype ${type}`, ...flags.map((f) => `\t\t${f}`)];
  if (elements.length > 0) lines.push('\t\telements = {', ...elements.map((e, i) => `\t\t\t${e}${i + 1 < elements.length ? ',' : ''}`), '\t\t}');
  lines.push('\t}');
  return lines;
}

export function renderNftables(view: SnapshotView, options: NftablesOptions): string {
  const categories = CATEGORY_ORDER.filter((c) => options.category.includes(c));
  const families = (['ipv4', 'ipv6'] as const).filter((f) => options.family.includes(f));
  const verdict = verdictSets(view);
  const segments = options.ports ? portSegments(view) : [];
  const t = options.table;
  const body: string[] = [];
  for (const c of categories) {
    for (const fam of families) {
      const { f, type } = FAMILY[fam];
      body.push(...setBlock(nftSetName(c, fam), type, ['flags interval', 'auto-merge'], toCidrs(verdict[c][f], f)), '');
      if (!options.ports) continue;
      const elements = segments.flatMap((seg) => {
        const port = seg.lo === seg.hi ? String(seg.lo) : `${seg.lo}-${seg.hi}`;
        return toCidrs(seg.sets[c][f], f).map((cidr) => `${cidr} . ${seg.protocol} . ${port}`);
      });
      body.push(...setBlock(nftSetName(c, fam, true), `${type} . inet_proto . inet_service`, ['flags interval'], elements), '');
    }
  }
  const first = categories[0]!;
  const example = families.map((fam) =>
    options.ports
      ? `\t#\t${FAMILY[fam].match} . meta l4proto . th dport @${nftSetName(first, fam, true)} counter accept comment "Microsoft 365 ${first}"`
      : `\t#\t${FAMILY[fam].match} @${nftSetName(first, fam)} counter accept comment "Microsoft 365 ${first}"`,
  );
  const head = [
    '#!/usr/sbin/nft -f',
    `# Microsoft 365 endpoint data version ${view.version} (${view.instance}) as nftables sets, by m365-flow-classifier.`,
    `# Load: nft -f FILE (replaces table inet ${t}). Check first: nft -c -f FILE.`,
    '# An address is in the set of the category the classifier answers for it (longest prefix, then',
    '# Optimize > Allow > Default), so the sets of one family are disjoint.',
    '#   CATEGORY_v4, CATEGORY_v6: the answer for any port;',
    '#   CATEGORY_v4_ports, CATEGORY_v6_ports: address . protocol . port, the answer when the port counts',
    '#   (only the endpoint sets that list the port are eligible, as in the classifier).',
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
  ];
  const tail = [
    `\t# Example rule: ${first} traffic out directly (put it in your own chain, or uncomment this one):`,
    '\t# chain m365_example {',
    '\t#\ttype filter hook forward priority filter; policy accept;',
    ...example,
    '\t# }',
    '}',
  ];
  return `${[...head, ...body, ...tail].join('\n')}\n`;
}

export const nftablesExporter = defineExporter<NftablesOptions>({
  name: 'nftables',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'nft',
  version: '1',
  description: 'An nftables file (nft -f): a table with interval sets per category and family, and port-aware address . protocol . port sets.',
  optionsSchema: {
    type: 'object',
    properties: {
      category: CATEGORY_OPTION,
      family: { type: 'array', items: { type: 'string', enum: ['ipv4', 'ipv6'] }, minItems: 1, uniqueItems: true, default: ['ipv4', 'ipv6'] },
      table: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$', default: 'm365', description: 'The nftables table (family inet) the file replaces.' },
      ports: { type: 'boolean', default: true, description: 'Also the port-aware address . protocol . port sets.' },
    },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize', family: 'ipv4', table: 'o365' }, { ports: 'false' }],
  render: renderNftables,
});
