import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION, SERVICE_AREA_OPTION, filterSets } from './filters.js';

/**
 * Squid ACL lines. Exact hosts become `dstdomain host`. Squid's `dstdomain .x.com` matches
 * x.com itself as well as its subdomains, while Microsoft's `*.x.com` does not match x.com; so
 * `*.x.com` becomes `dstdomain .x.com` only when x.com is in the same list anyway, and
 * `dstdom_regex -i \.x\.com$` otherwise. Other shapes (`*cdn.x.com`, `autodiscover.*.x.com`)
 * become anchored regexes. Entries a `.domain` line already covers are left out, since squid
 * warns about them. dstdomain and dstdom_regex need two ACL names: NAME_domains and NAME_regex.
 */

export interface SquidOptions {
  readonly category: readonly CategoryName[];
  readonly serviceArea?: readonly string[];
  readonly aclName: string;
}

export interface SquidAcls {
  /** `host` or `.domain` values for dstdomain. */
  readonly domains: string[];
  /** POSIX extended regexes for dstdom_regex -i. */
  readonly regexes: string[];
}

/**
 * Anchored ERE of a glob; a leading `*` needs no `^.*`. Squid reads an ACL value that starts with
 * `-` as an option (`-files\.sharepoint\.com$`: "FATAL: Bungled ... unsupported ACL option"), so
 * a leading `-` is written `[-]`, which means the same.
 */
export function globToEre(pattern: string): string {
  const parts = pattern.split('*').map((p) => p.replace(/[.\\+?^$()[\]{}|]/g, '\\$&'));
  const body = parts.join('.*');
  const re = pattern.startsWith('*') ? `${body.slice(2)}$` : `^${body}$`;
  return re.startsWith('-') ? `[-]${re.slice(1)}` : re;
}

/** True when `host` is `d` or a subdomain of it. */
function under(host: string, d: string): boolean {
  return host === d || host.endsWith(`.${d}`);
}

export function squidAcls(patterns: Iterable<string>): SquidAcls {
  const all = new Set(patterns);
  const exact = new Set([...all].filter((p) => !p.includes('*')));
  // `*.x.com` whose apex is listed too: `.x.com` is then exactly right.
  const dotted = [...all].filter((p) => p.startsWith('*.') && p.lastIndexOf('*') === 0 && exact.has(p.slice(2))).map((p) => p.slice(2));
  const covering = (host: string, self?: string): boolean => dotted.some((d) => d !== self && under(host, d));
  const domains = new Set<string>();
  const regexes = new Set<string>();
  for (const d of dotted) if (!covering(d, d)) domains.add(`.${d}`);
  for (const p of all) {
    if (!p.includes('*')) {
      if (!covering(p)) domains.add(p);
      continue;
    }
    const tail = p.slice(p.lastIndexOf('*') + 1);
    // Every host the glob matches ends with its tail; a tail under a `.domain` line is covered.
    if (dotted.some((d) => tail.endsWith(`.${d}`))) continue;
    if (p.startsWith('*.') && p.lastIndexOf('*') === 0 && exact.has(p.slice(2))) continue;
    regexes.add(globToEre(p));
  }
  return { domains: [...domains].sort(), regexes: [...regexes].sort() };
}

export function renderSquid(view: SnapshotView, options: SquidOptions): string {
  const patterns = filterSets(view.sets, options).flatMap((s) => s.urls);
  const { domains, regexes } = squidAcls(patterns);
  const dn = `${options.aclName}_domains`;
  const rn = `${options.aclName}_regex`;
  const lines = [
    `# Squid ACLs: ${options.category.join(', ')} hosts of Microsoft 365 endpoint data version ${view.version} (${view.instance}).`,
    `# Use both names, e.g.: ssl_bump splice ${dn}  and  ssl_bump splice ${rn}`,
    ...domains.map((d) => `acl ${dn} dstdomain ${d}`),
    ...regexes.map((r) => `acl ${rn} dstdom_regex -i ${r}`),
  ];
  return `${lines.join('\n')}\n`;
}

export const squidExporter = defineExporter<SquidOptions>({
  name: 'squid',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'conf',
  version: '1',
  description: 'Squid dstdomain / dstdom_regex ACL lines for the hosts and patterns, apex kept right.',
  optionsSchema: {
    type: 'object',
    properties: {
      category: { ...CATEGORY_OPTION, default: ['Optimize', 'Allow'] },
      serviceArea: SERVICE_AREA_OPTION,
      aclName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,40}$', default: 'm365' },
    },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize', aclName: 'm365_optimize' }],
  render: renderSquid,
});
