import { describe, expect, it } from 'vitest';
import { parseEndpointsResponse } from '../../../src/index.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { globToRegExp } from '../../../src/core/globs.js';
import { squidAcls } from '../../../src/export/squid.js';
import type { Category, Snapshot } from '../../../src/core/types.js';
import { REAL_RESPONSES, readRealResponseText } from '../../support/data.js';
import { exportHosts } from '../../support/export-hosts.js';

const registry = createExportRegistry();

/** Squid's matching as documented: `.x.com` matches x.com and its subdomains; regexes unanchored unless written so. */
function squidMatcher(conf: string): (host: string) => boolean {
  const exact = new Set<string>();
  const dotted: string[] = [];
  const regexes: RegExp[] = [];
  for (const line of conf.split('\n')) {
    const m = /^acl (\S+) (dstdomain|dstdom_regex) (?:-i )?(\S+)$/.exec(line);
    if (!m) continue;
    const value = m[3]!;
    if (m[2] === 'dstdom_regex') regexes.push(new RegExp(value, 'i'));
    else if (value.startsWith('.')) dotted.push(value.slice(1));
    else exact.add(value);
  }
  return (host) => exact.has(host) || dotted.some((d) => host === d || host.endsWith(`.${d}`)) || regexes.some((r) => r.test(host));
}

async function render(snapshot: Snapshot, options: Record<string, unknown>): Promise<string> {
  return prepareExport(registry, 'squid', snapshot, options).renderText();
}

describe('squid exporter on the real snapshots', () => {
  for (const name of REAL_RESPONSES) {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    const hosts = exportHosts(snapshot, 3);
    for (const categories of [['Optimize', 'Allow'], ['Default'], ['Optimize', 'Allow', 'Default']] as Category[][]) {
      it(`${name} ${categories.join('+')}: the ACLs match exactly the hosts the patterns match, apex included (${hosts.length} hosts)`, async () => {
        const conf = await render(snapshot, { category: categories });
        const match = squidMatcher(conf);
        const globs = snapshot.sets.filter((s) => categories.includes(s.category)).flatMap((s) => s.urls.map(globToRegExp));
        const wrong = hosts.filter((h) => match(h) !== globs.some((g) => g.test(h)));
        expect(wrong.slice(0, 10)).toEqual([]);
      });
    }

    it(`${name}: no dstdomain entry that squid would call a subdomain of another`, async () => {
      const conf = await render(snapshot, { category: 'Optimize,Allow,Default' });
      const domains = conf
        .split('\n')
        .filter((l) => l.includes(' dstdomain '))
        .map((l) => l.split(' ')[3]!);
      const dotted = domains.filter((d) => d.startsWith('.')).map((d) => d.slice(1));
      for (const d of domains) {
        const bare = d.replace(/^\./, '');
        expect(dotted.filter((p) => p !== bare && (bare === p || bare.endsWith(`.${p}`))), d).toEqual([]);
      }
    });
  }

  it('keeps the apex rule right', () => {
    expect(squidAcls(['*.a.com', 'a.com', '*.b.com', 'x.a.com', '*cdn.c.net', 'autodiscover.*.d.com'])).toEqual({
      domains: ['.a.com'],
      regexes: ['\\.b\\.com$', '^autodiscover\\..*\\.d\\.com$', 'cdn\\.c\\.net$'],
    });
  });

  it('names two ACLs, one per type', async () => {
    const conf = await render(parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json')), { aclName: 'o365' });
    const names = new Set(conf.split('\n').filter((l) => l.startsWith('acl ')).map((l) => `${l.split(' ')[1]} ${l.split(' ')[2]}`));
    expect(names).toEqual(new Set(['o365_domains dstdomain', 'o365_regex dstdom_regex']));
  });
});
