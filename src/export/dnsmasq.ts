import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { checkTenantName, tenantPatterns } from '../compile/tenant.js';
import { CATEGORY_OPTION } from './filters.js';
import { ipsetName } from './ipset.js';
import { nftSetName } from './nftables.js';
import { CATEGORY_ORDER } from './verdict-sets.js';

/**
 * dnsmasq lines that put the addresses hosts resolve to into the sets of the nftables (or ipset)
 * export: `nftset=/DOMAIN/4#inet#TABLE#SET,6#inet#TABLE#SET` or `ipset=/DOMAIN/SET,SET`; the way
 * open-source routers route by domain. dnsmasq matches DOMAIN and every name under it, and the
 * longest matching DOMAIN wins. So an exact host `h` is written as `h` (wider: its subdomains too)
 * and `*.d` as `d` (wider: d itself), and the file says so per domain unless the data lists both;
 * patterns with any other `*` (`*cdn.onenote.net`, `*-files.sharepoint.com`) cannot be expressed
 * and are listed as comments with their count.
 */

type FamilyName = 'ipv4' | 'ipv6';

export interface DnsmasqOptions {
  readonly category: readonly CategoryName[];
  readonly family: readonly FamilyName[];
  readonly setType: 'nftset' | 'ipset';
  readonly table: string;
  readonly prefix: string;
  readonly tenant?: string;
}

const RANK: Readonly<Record<CategoryName, number>> = { Optimize: 0, Allow: 1, Default: 2 };

interface DomainEntry {
  /** Best category of the exact host, and of the `*.domain` wildcard, where listed. */
  exact?: CategoryName;
  wild?: CategoryName;
}

const better = (a: CategoryName | undefined, b: CategoryName): CategoryName => (a === undefined || RANK[b] < RANK[a] ? b : a);

export interface DnsmasqPlan {
  readonly domains: Map<string, DomainEntry>;
  /** Patterns dnsmasq cannot express, sorted. */
  readonly inexpressible: string[];
}

export function dnsmasqPlan(view: SnapshotView, options: Pick<DnsmasqOptions, 'category' | 'tenant'>): DnsmasqPlan {
  const tenant = options.tenant === undefined ? undefined : checkTenantName(options.tenant);
  const domains = new Map<string, DomainEntry>();
  const inexpressible = new Set<string>();
  for (const set of view.sets) {
    if (!options.category.includes(set.category)) continue;
    for (const pattern of set.urls.flatMap((u) => tenantPatterns(u.toLowerCase(), tenant))) {
      const star = pattern.lastIndexOf('*');
      if (star < 0) {
        const e = domains.get(pattern) ?? {};
        e.exact = better(e.exact, set.category);
        domains.set(pattern, e);
      } else if (star === 0 && pattern.startsWith('*.')) {
        const d = pattern.slice(2);
        const e = domains.get(d) ?? {};
        e.wild = better(e.wild, set.category);
        domains.set(d, e);
      } else inexpressible.add(pattern);
    }
  }
  return { domains, inexpressible: [...inexpressible].sort() };
}

/** The category whose sets a domain's line fills: its subdomains' when the data lists them (more hosts). */
export function lineCategory(e: DomainEntry): CategoryName {
  return e.wild ?? e.exact!;
}

function notes(d: string, e: DomainEntry): string[] {
  if (e.wild === undefined) return [`# ${d}: dnsmasq also matches the names under it, which Microsoft does not list with it`];
  if (e.exact === undefined) return [`# *.${d}: dnsmasq also matches ${d} itself, which Microsoft's *.${d} does not`];
  if (e.exact !== e.wild) return [`# ${d}: Microsoft lists ${d} itself as ${e.exact} and *.${d} as ${e.wild}; dnsmasq puts both in ${e.wild}`];
  return [];
}

export function renderDnsmasq(view: SnapshotView, options: DnsmasqOptions): string {
  const { domains, inexpressible } = dnsmasqPlan(view, options);
  const families = (['ipv4', 'ipv6'] as const).filter((f) => options.family.includes(f));
  const target = (c: CategoryName): string =>
    options.setType === 'nftset'
      ? families.map((f) => `${f === 'ipv4' ? 4 : 6}#inet#${options.table}#${nftSetName(c, f)}`).join(',')
      : families.map((f) => ipsetName(options.prefix, c, f)).join(',');
  const loads = options.setType === 'nftset' ? `the sets of table inet ${options.table} (m365fc export nftables)` : `the ipsets ${options.prefix}_* (m365fc export ipset)`;
  const lines = [
    `# Microsoft 365 endpoint data version ${view.version} (${view.instance}) for dnsmasq, by m365-flow-classifier${options.tenant !== undefined ? `, tenant ${options.tenant}` : ''}.`,
    `# Addresses that these names resolve to join ${loads}, which must exist first.`,
    '# Load: conf-file=FILE in dnsmasq.conf (or put FILE in /etc/dnsmasq.d/); check: dnsmasq --test -C FILE.',
    '# dnsmasq matches a domain and every name under it; the longest matching domain wins.',
  ];
  const sorted = [...domains.keys()].sort();
  for (const c of CATEGORY_ORDER.filter((x) => options.category.includes(x))) {
    const mine = sorted.filter((d) => lineCategory(domains.get(d)!) === c);
    if (mine.length === 0) continue;
    lines.push('', `# ${c}: ${mine.length} domains.`);
    for (const d of mine) lines.push(...notes(d, domains.get(d)!), `${options.setType}=/${d}/${target(c)}`);
  }
  if (inexpressible.length > 0) {
    lines.push('', `# ${inexpressible.length} patterns dnsmasq cannot express (a * other than a leading "*."); their hosts do not join the sets:`);
    for (const p of inexpressible) lines.push(`#   ${p}`);
  }
  return `${lines.join('\n')}\n`;
}

export const dnsmasqExporter = defineExporter<DnsmasqOptions>({
  name: 'dnsmasq',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'conf',
  version: '1',
  description: 'dnsmasq nftset= (or ipset=) lines: addresses Microsoft 365 names resolve to join the nftables or ipset sets.',
  optionsSchema: {
    type: 'object',
    properties: {
      category: CATEGORY_OPTION,
      family: { type: 'array', items: { type: 'string', enum: ['ipv4', 'ipv6'] }, minItems: 1, uniqueItems: true, default: ['ipv4', 'ipv6'] },
      setType: { type: 'string', enum: ['nftset', 'ipset'], default: 'nftset' },
      table: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$', default: 'm365', description: 'nftset: the table of the nftables export.' },
      prefix: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,19}$', default: 'm365', description: 'ipset: the set name prefix of the ipset export.' },
      tenant: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$', description: 'Fills the tenant position of SharePoint and autodiscover patterns.' },
    },
    additionalProperties: false,
  },
  examples: [{}, { setType: 'ipset', category: 'Optimize,Allow' }, { tenant: 'contoso', family: 'ipv4' }],
  render: renderDnsmasq,
});
