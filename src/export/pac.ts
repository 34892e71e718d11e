import { API_VERSION, defineExporter, portListIncludes, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { globToRegExp, literalCount } from '../core/globs.js';
import { checkTenantName, tenantPatterns } from '../compile/tenant.js';

/**
 * PAC files. Type 1 sends Optimize direct, type 2 Optimize and Allow; everything else goes to the
 * proxy. Each decision equals the engine's answer for `{ host, port: 443, protocol: 'tcp' }` in
 * specific-first mode: only sets listing TCP 443 count, an exact host beats any wildcard, a
 * wildcard with more literal characters beats one with fewer, then the better category. So a
 * specific Default host inside a direct wildcard goes to the proxy, as Microsoft's generator does.
 *
 * The lookup does no DNS (no isInNet/dnsResolve) and does not walk a list of shExpMatch calls:
 * an object keyed by exact host, then one object probe per dot of the host (the suffix after the
 * last `*` of each wildcard), then shExpMatch only for the few patterns no suffix can file.
 */

export interface PacOptions {
  readonly type: 1 | 2;
  readonly proxy: string;
  readonly tenant?: string;
}

const RANK: Readonly<Record<CategoryName, number>> = { Optimize: 0, Allow: 1, Default: 2 };

/** One distinct pattern with the decision of its best eligible set. */
export interface PacRule {
  readonly pattern: string;
  readonly exact: boolean;
  /** Wildcards: literal characters × 3 + category bonus; higher wins (ties share a category). */
  readonly score: number;
  readonly direct: boolean;
}

/** Every pattern of a set that lists TCP 443, tenant applied, with its decision; best first. */
export function pacRules(view: SnapshotView, options: Pick<PacOptions, 'type' | 'tenant'>): PacRule[] {
  const tenant = options.tenant === undefined ? undefined : checkTenantName(options.tenant);
  const directBelow = options.type === 2 ? 2 : 1;
  const bestRank = new Map<string, number>();
  for (const set of view.sets) {
    if (!portListIncludes(set.tcpPorts, 443)) continue;
    const rank = RANK[set.category];
    for (const pattern of set.urls.flatMap((u) => tenantPatterns(u, tenant))) {
      const known = bestRank.get(pattern);
      if (known === undefined || rank < known) bestRank.set(pattern, rank);
    }
  }
  const rules: PacRule[] = [];
  for (const [pattern, rank] of bestRank) {
    const exact = !pattern.includes('*');
    rules.push({ pattern, exact, score: exact ? Number.MAX_SAFE_INTEGER : literalCount(pattern) * 3 + (2 - rank), direct: rank < directBelow });
  }
  return rules.sort((a, b) => b.score - a.score || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
}

/** `*T` with a single leading star: the hosts it matches are exactly those ending with T. */
function suffixOnly(pattern: string): string | null {
  return pattern.lastIndexOf('*') === 0 ? pattern.slice(1) : null;
}

/** False only when no host can match both (exact for suffix-only globs; otherwise assume they may). */
function mayOverlap(a: string, b: string): boolean {
  const ta = suffixOnly(a);
  const tb = suffixOnly(b);
  if (ta === null || tb === null) return true;
  return ta.endsWith(tb) || tb.endsWith(ta);
}

/**
 * Drops proxy rules that cannot change a decision: a proxy rule matters only where it shadows a
 * weaker direct rule, since with no rule at all the answer is the proxy anyway.
 */
export function pruneRules(rules: readonly PacRule[]): PacRule[] {
  const directWild = rules.filter((r) => r.direct && !r.exact);
  return rules.filter((r) => {
    if (r.direct) return true;
    if (r.exact) return directWild.some((d) => globToRegExp(d.pattern).test(r.pattern));
    return directWild.some((d) => d.score < r.score && mayOverlap(d.pattern, r.pattern));
  });
}

type WildItem = [fragment: string, score: number, direct: 0 | 1] | [fragment: string, score: number, direct: 0 | 1, glob: string];

/** The three lookup tables the PAC file embeds. */
export function pacTables(rules: readonly PacRule[]): {
  exact: Record<string, 0 | 1>;
  wild: Record<string, WildItem[]>;
  general: Array<[glob: string, score: number, direct: 0 | 1]>;
} {
  const exact: Record<string, 0 | 1> = {};
  const wild: Record<string, WildItem[]> = {};
  const general: Array<[string, number, 0 | 1]> = [];
  for (const r of rules) {
    const d: 0 | 1 = r.direct ? 1 : 0;
    if (r.exact) {
      exact[r.pattern] = d;
      continue;
    }
    const lastStar = r.pattern.lastIndexOf('*');
    const tail = r.pattern.slice(lastStar + 1);
    const dot = tail.indexOf('.');
    if (dot < 0) {
      general.push([r.pattern, r.score, d]);
      continue;
    }
    const suffix = tail.slice(dot);
    const item: WildItem = lastStar === 0 ? [tail.slice(0, dot), r.score, d] : [tail.slice(0, dot), r.score, d, r.pattern];
    (wild[suffix] ??= []).push(item);
  }
  // Best first within a suffix, so the walk stops at the first match of each suffix.
  for (const items of Object.values(wild)) items.sort((a, b) => b[1] - a[1]);
  return { exact, wild, general };
}

function objectLiteral(entries: ReadonlyArray<readonly [string, string]>): string {
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${v}`).join(',\n')}\n}`;
}

// ES5 only, no DNS: runs in every browser's and OS's PAC engine.
const LOOKUP = `function FindProxyForURL(url, host) {
  var h = String(host).toLowerCase(), n = h.length, best = -1, go = 0, i, j, list, it, f;
  if (n > 0 && h.charAt(n - 1) === ".") h = h.substring(0, n - 1);
  i = exact[h];
  if (typeof i === "number") return i ? direct : proxy;
  for (i = h.indexOf("."); i >= 0; i = h.indexOf(".", i + 1)) {
    list = wild[h.substring(i)];
    if (list === undefined) continue;
    for (j = 0; j < list.length; j++) {
      it = list[j];
      if (it[1] <= best) break;
      f = it[0];
      if (f.length > i || h.substring(i - f.length, i) !== f) continue;
      if (it.length > 3 && !shExpMatch(h, it[3])) continue;
      best = it[1];
      go = it[2];
      break;
    }
  }
  for (j = 0; j < general.length; j++) {
    it = general[j];
    if (it[1] > best && shExpMatch(h, it[0])) {
      best = it[1];
      go = it[2];
    }
  }
  return go ? direct : proxy;
}
`;

export function renderPac(view: SnapshotView, options: PacOptions): string {
  const rules = pruneRules(pacRules(view, options));
  const { exact, wild, general } = pacTables(rules);
  const directWhat = options.type === 2 ? 'Optimize and Allow' : 'Optimize';
  const head = [
    `// Microsoft 365 PAC file, type ${options.type}: ${directWhat} endpoints direct, everything else to the proxy.`,
    `// Generated by m365-flow-classifier from endpoint data version ${view.version} (${view.instance})${options.tenant !== undefined ? `, tenant ${options.tenant}` : ''}.`,
    `// ${rules.filter((r) => r.direct).length} direct patterns, ${rules.filter((r) => !r.direct).length} proxy exceptions inside direct wildcards.`,
    '// Decisions follow the most specific pattern (exact host, then the wildcard with most literal characters).',
    '',
  ].join('\n');
  const exactText = objectLiteral(Object.entries(exact).map(([k, v]) => [k, String(v)] as const));
  const wildText = objectLiteral(Object.entries(wild).map(([k, items]) => [k, JSON.stringify(items)] as const));
  const generalText = general.length === 0 ? '[]' : `[\n${general.map((g) => `  ${JSON.stringify(g)}`).join(',\n')}\n]`;
  return (
    `${head}\nvar proxy = ${JSON.stringify(options.proxy)};\nvar direct = "DIRECT";\n\n` +
    `// Exact hosts: 1 direct, 0 proxy.\nvar exact = ${exactText};\n\n` +
    `// Wildcards by the suffix after their last "*" (from its first dot): [fragment before it, score, direct, glob to confirm].\nvar wild = ${wildText};\n\n` +
    `// Wildcards with no dot after their last "*": [glob, score, direct].\nvar general = ${generalText};\n\n${LOOKUP}`
  );
}

const PAC_RETURN = '(DIRECT|(PROXY|HTTP|HTTPS|SOCKS|SOCKS4|SOCKS5) [A-Za-z0-9._:\\[\\]-]+)';

export const pacExporter = defineExporter<PacOptions>({
  name: 'pac',
  apiVersion: `^${API_VERSION}`,
  contentType: 'application/x-ns-proxy-autoconfig',
  fileExtension: 'pac',
  version: '1',
  description: 'Proxy auto-config file: type 1 sends Optimize direct, type 2 Optimize and Allow; the rest to the proxy.',
  optionsSchema: {
    type: 'object',
    properties: {
      type: { type: 'integer', enum: [1, 2], default: 1, description: '1: Optimize direct; 2: Optimize and Allow direct.' },
      proxy: {
        type: 'string',
        pattern: `^${PAC_RETURN}(; ?${PAC_RETURN})*$`,
        maxLength: 512,
        description: 'What the PAC returns for other traffic, e.g. "PROXY proxy.contoso.com:8080".',
      },
      tenant: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$', description: 'Fills the tenant position of SharePoint and autodiscover patterns.' },
    },
    required: ['proxy'],
    additionalProperties: false,
  },
  examples: [{ proxy: 'PROXY proxy.contoso.com:8080' }, { type: '2', proxy: 'PROXY proxy.contoso.com:8080; DIRECT', tenant: 'contoso' }],
  render: renderPac,
});
