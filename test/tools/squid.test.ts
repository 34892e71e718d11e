import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Category } from '../../src/core/types.js';
import { describeWithTools, pool, realData, renderText, run, tempDir, toolPath } from './tools.js';

/**
 * `squid -k parse` on the squid export of every category combination of every stored response:
 * squid reads each ACL line as it would at start-up and exits non-zero on one it cannot read.
 */

const COMBINATIONS: Category[][] = [['Optimize'], ['Allow'], ['Default'], ['Optimize', 'Allow'], ['Optimize', 'Default'], ['Allow', 'Default'], ['Optimize', 'Allow', 'Default']];

function squidConf(dir: string, aclFile: string, acl: string): string {
  // Only the names the file defines: squid refuses http_access on an unknown ACL name.
  const names = [...new Set([...acl.matchAll(/^acl (\S+) /gm)].map((m) => m[1]!))];
  return [`include ${aclFile}`, ...names.map((n) => `http_access allow ${n}`), 'http_access deny all', 'http_port 127.0.0.1:3128', `pid_filename ${join(dir, 'squid.pid')}`, ''].join('\n');
}

/** squid's complaints: FATAL, ERROR and WARNING lines (e.g. a dstdomain entry inside another). */
function complaints(out: string): string[] {
  return out.split('\n').filter((l) => /FATAL|ERROR|WARNING|Bungled|unsupported/i.test(l));
}

async function parse(dir: string, label: string, acl: string): Promise<{ code: number; complaints: string[] }> {
  const aclFile = join(dir, `${label}.acl.conf`);
  const conf = join(dir, `${label}.squid.conf`);
  writeFileSync(aclFile, acl);
  writeFileSync(conf, squidConf(dir, aclFile, acl));
  const r = await run(toolPath('squid')!, ['-k', 'parse', '-f', conf]);
  return { code: r.code, complaints: complaints(r.stdout + r.stderr) };
}

describeWithTools('squid -k parse accepts the squid export', ['squid'], () => {
  const tmp = tempDir('squid');
  afterAll(tmp.remove);

  it('refuses the old form of a regex starting with "-" (the check can fail)', async () => {
    const r = await parse(tmp.dir, 'control', 'acl m365_regex dstdom_regex -i -files\\.sharepoint\\.com$\n');
    expect(r.code).not.toBe(0);
    expect(r.complaints.join('\n')).toMatch(/unsupported ACL option|Bungled/);
  });

  for (const data of realData()) {
    it(`${data.name}: every category combination (${COMBINATIONS.length}) parses with no complaint`, async () => {
      const results = await pool(COMBINATIONS, 2, async (cats) => {
        const acl = await renderText('squid', data.snapshot, { category: cats });
        expect(acl).toMatch(/^acl /m);
        return { cats: cats.join('+'), ...(await parse(tmp.dir, `${data.name}-${cats.join('-')}`, acl)) };
      });
      expect(results.filter((r) => r.code !== 0 || r.complaints.length > 0)).toEqual([]);
    });
  }
});
